import LienThongCore

/// `POST /v1/sync/push`: one node's batches, one per origin and epoch (DESIGN §5).
public struct PushRequest: Sendable, Hashable {
    /// The pushing node (it must match the credential).
    public var node: String
    public var batches: [PushBatch]

    public init(node: String, batches: [PushBatch]) {
        self.node = node
        self.batches = batches
    }

    /// Events in the request, all batches together (checked against ``HubCaps/maxEventsPerBatch``).
    public var eventCount: Int { batches.reduce(0) { $0 + $1.events.count } }

    public var json: JSONValue { ["node": .string(node), "batches": .array(batches.map(\.json))] }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(
            node: try fields.node("node"), batches: try fields.list("batches") { value, path throws(WireError) in try PushBatch(json: value, path: path) })
    }
}

/// Consecutive events of one origin and epoch, ending at a signed checkpoint.
///
/// To keep the wire small, events travel without the fields the batch already says (`origin`,
/// `epoch`) and without `prev` and `hash`, which the hub recomputes from its head: `base` is the
/// `prev` of the first event, and the checkpoint's signature covers the whole chain. An event may
/// still carry its `hash`; the hub then checks it and names the seq that differs.
public struct PushBatch: Sendable, Hashable {
    public var origin: String
    public var epoch: String
    /// The hash of the event before the first one (64 zeros for seq 1).
    public var base: String
    public var events: [Event]
    /// The origin's signature over the last event: `lienthong-checkpoint-v1` (DESIGN §2).
    public var signature: String
    /// Whether `events` carry the hashes the sender computed.
    public var includesHashes: Bool

    public init(origin: String, epoch: String, base: String, events: [Event], signature: String, includesHashes: Bool = false) {
        self.origin = origin
        self.epoch = epoch
        self.base = base
        self.events = events
        self.signature = signature
        self.includesHashes = includesHashes
    }

    /// The batch for stored `events` (consecutive, one origin and epoch) and the checkpoint of the last.
    public init(events: [Event], checkpoint: Checkpoint) {
        self.init(
            origin: checkpoint.origin, epoch: checkpoint.epoch, base: events.first?.prev ?? Event.genesisHash, events: events,
            signature: checkpoint.signature)
    }

    public var firstSeq: Int { events.first?.seq ?? 0 }
    public var lastSeq: Int { events.last?.seq ?? 0 }

    static let omitted: Set<String> = ["origin", "epoch", "prev", "hash"]

    public var json: JSONValue {
        let compact: [JSONValue] = events.map { event in
            guard case .object(var members) = event.json else { return event.json }
            for key in Self.omitted where !(includesHashes && key == "hash") { members[key] = nil }
            return .object(members)
        }
        return [
            "origin": .string(origin), "epoch": .string(epoch), "base": .string(base), "events": .array(compact),
            "signature": .string(signature),
        ]
    }

    /// Reads a batch; events get the batch's origin and epoch, and `prev`/`hash` placeholders that
    /// ``BatchCheck`` recomputes (or, when the event carried a hash, checks).
    init(json: JSONValue, path: String) throws(WireError) {
        let fields = try Fields(json, path: path)
        let origin = try fields.string("origin")
        let epoch = try fields.string("epoch")
        var carriedHashes = false
        let events = try fields.list("events") { value, itemPath throws(WireError) -> Event in
            guard case .object(var members) = value else { throw WireError(field: itemPath, expected: "an event object") }
            for key in ["origin", "epoch", "prev"] where members[key] != nil {
                throw WireError(field: "\(itemPath).\(key)", expected: "no such field in a pushed event (the batch says it)")
            }
            members["origin"] = .string(origin)
            members["epoch"] = .string(epoch)
            members["prev"] = .string("")
            if members["hash"] == nil { members["hash"] = .string("") } else { carriedHashes = true }
            return try Event(wire: .object(members), path: itemPath)
        }
        self.init(
            origin: origin, epoch: epoch, base: try fields.string("base"), events: events, signature: try fields.string("signature"),
            includesHashes: carriedHashes)
    }
}
