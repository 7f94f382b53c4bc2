import LienThongCore

/// The answer to `GET /v1/sync/own?fromSeq=`: the node's own events as the hub stored them, for a
/// node that lost its database or was restored from a backup (DESIGN §5).
public struct OwnEvents: Sendable, Hashable {
    public var origin: String
    public var events: [Event]
    /// The hub's head for the origin.
    public var head: ChainHead

    public init(origin: String, events: [Event], head: ChainHead) {
        self.origin = origin
        self.events = events
        self.head = head
    }

    public var json: JSONValue { ["origin": .string(origin), "events": .array(events.map(\.json)), "head": head.json] }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        let events = try fields.list("events") { value, path throws(WireError) in try Event(wire: value, path: path) }
        self.init(origin: try fields.string("origin"), events: events, head: try ChainHead(fields: try fields.object("head")))
    }
}
