import LienThongCore

/// One entry of a node's feed: an event at a position of that node's feed.
public struct FeedEntry: Sendable, Hashable {
    public var position: Int
    public var event: Event

    public init(position: Int, event: Event) {
        self.position = position
        self.event = event
    }
}

/// The answer to `GET /v1/sync/pull`: feed entries after `since`, signed by the hub.
///
/// The hub signs, with its origin key, `lienthong-page-v1\n` + canonical
/// `{node, since, to, entries: [{position, origin, seq, hash}…]}` (``PageSignature``). The node
/// stores the signed summary, so `node log verify` can later check each foreign event.
public struct PullPage: Sendable, Hashable {
    public var node: String
    /// The hub's origin and epoch, whose key signed the page.
    public var hub: String
    public var hubEpoch: String
    /// The position the node asked from (exclusive).
    public var since: Int
    /// The last position in this page (`since` when empty).
    public var to: Int
    /// The feed's last position when the page was cut: `to < end` means more is waiting.
    public var end: Int
    public var entries: [FeedEntry]
    public var signature: String
    /// The hub's head seq for the node's own origin: more than the node holds means the node was
    /// restored from a backup and must take its own events back (DESIGN §5). Absent from older hubs.
    public var stored: Int?
    /// The hub's own head seq. While ``recovery`` is set (the hub was restored from a backup), a
    /// node holding more of the hub's events returns them (`POST /v1/sync/return`, DESIGN §5).
    public var hubHead: Int?
    /// The hub's open recovery after a restore, if any, named by when it started (Unix ms).
    public var recovery: Int?

    public init(
        node: String, hub: String, hubEpoch: String, since: Int, to: Int, end: Int, entries: [FeedEntry], signature: String, stored: Int? = nil,
        hubHead: Int? = nil, recovery: Int? = nil
    ) {
        self.stored = stored
        self.hubHead = hubHead
        self.recovery = recovery
        self.node = node
        self.hub = hub
        self.hubEpoch = hubEpoch
        self.since = since
        self.to = to
        self.end = end
        self.entries = entries
        self.signature = signature
    }

    /// What the signature covers.
    public var summary: PageSignature.Summary {
        PageSignature.Summary(
            node: node, since: since, to: to,
            entries: entries.map { PageSignature.Entry(position: $0.position, origin: $0.event.origin, seq: $0.event.seq, hash: $0.event.hash) })
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "node": .string(node), "hub": .string(hub), "hubEpoch": .string(hubEpoch), "since": .integer(since), "to": .integer(to),
            "end": .integer(end), "signature": .string(signature),
            "entries": .array(entries.map { ["position": .integer($0.position), "event": $0.event.json] }),
        ]
        if let stored { members["stored"] = .integer(stored) }
        if let hubHead { members["hubHead"] = .integer(hubHead) }
        if let recovery { members["recovery"] = .integer(recovery) }
        return .object(members)
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        let entries = try fields.list("entries") { value, path throws(WireError) -> FeedEntry in
            let entry = try Fields(value, path: path)
            return FeedEntry(position: try entry.integer("position"), event: try Event(wire: try entry.value("event"), path: "\(path).event"))
        }
        self.init(
            node: try fields.string("node"), hub: try fields.string("hub"), hubEpoch: try fields.string("hubEpoch"),
            since: try fields.integer("since"), to: try fields.integer("to"), end: try fields.integer("end"), entries: entries,
            signature: try fields.string("signature"), stored: try fields.optionalInteger("stored"),
            hubHead: try fields.optionalInteger("hubHead"), recovery: try fields.optionalInteger("recovery"))
    }
}
