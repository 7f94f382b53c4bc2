import LienThongCore

/// The limits a hub enforces and advertises (in the enrolment answer, every push answer and
/// `GET /v1/sync/caps`), so clients size their batches to fit instead of learning by 413.
public struct HubCaps: Sendable, Hashable {
    /// Events in one push request, all origins together.
    public var maxEventsPerBatch: Int
    /// A request body as sent (compressed or not).
    public var maxBodyBytes: Int
    /// A request body after gzip inflation: a small body cannot become a huge one.
    public var maxInflatedBytes: Int
    /// Entries in one pull page.
    public var maxPullLimit: Int
    /// The longest long-poll `wait` honoured, in seconds.
    public var maxWaitSeconds: Int

    public init(maxEventsPerBatch: Int, maxBodyBytes: Int, maxInflatedBytes: Int, maxPullLimit: Int, maxWaitSeconds: Int) {
        self.maxEventsPerBatch = maxEventsPerBatch
        self.maxBodyBytes = maxBodyBytes
        self.maxInflatedBytes = maxInflatedBytes
        self.maxPullLimit = maxPullLimit
        self.maxWaitSeconds = maxWaitSeconds
    }

    /// The defaults: 2,000 events (a batch starts at 100 and doubles), 4 MiB on the wire,
    /// 32 MiB inflated (2,000 events of the 64 KiB maximum would not fit; real events are ~1 KiB),
    /// 1,000 entries a page, 30 s long-polls (under common proxies' 60 s idle timeouts).
    public static let standard = HubCaps(
        maxEventsPerBatch: 2_000, maxBodyBytes: 4 << 20, maxInflatedBytes: 32 << 20, maxPullLimit: 1_000, maxWaitSeconds: 30)

    public var json: JSONValue {
        [
            "maxEventsPerBatch": .integer(maxEventsPerBatch), "maxBodyBytes": .integer(maxBodyBytes),
            "maxInflatedBytes": .integer(maxInflatedBytes), "maxPullLimit": .integer(maxPullLimit),
            "maxWaitSeconds": .integer(maxWaitSeconds),
        ]
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        try self.init(json: .object(try Fields(bytes: bytes).members))
    }

    public init(json: JSONValue, path: String = "caps") throws(WireError) {
        let fields = try Fields(json, path: path)
        self.init(
            maxEventsPerBatch: try fields.integer("maxEventsPerBatch"), maxBodyBytes: try fields.integer("maxBodyBytes"),
            maxInflatedBytes: try fields.integer("maxInflatedBytes"), maxPullLimit: try fields.integer("maxPullLimit"),
            maxWaitSeconds: try fields.integer("maxWaitSeconds"))
    }
}
