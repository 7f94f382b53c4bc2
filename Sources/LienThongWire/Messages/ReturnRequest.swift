import LienThongCore

extension PageSignature.SignedPage {
    var json: JSONValue {
        [
            "hubEpoch": .string(hubEpoch), "since": .integer(summary.since), "to": .integer(summary.to), "signature": .string(signature),
            "entries": .array(
                summary.entries.map { ["position": .integer($0.position), "origin": .string($0.origin), "seq": .integer($0.seq), "hash": .string($0.hash)] }),
        ]
    }

    /// A page of `node`'s feed (the summary names the node the hub signed it for).
    init(fields: Fields, node: String) throws(WireError) {
        let entries = try fields.list("entries") { value, path throws(WireError) -> PageSignature.Entry in
            let entry = try Fields(value, path: path)
            return PageSignature.Entry(
                position: try entry.integer("position"), origin: try entry.string("origin"), seq: try entry.integer("seq"), hash: try entry.string("hash"))
        }
        self.init(
            hubEpoch: try fields.string("hubEpoch"),
            summary: PageSignature.Summary(node: node, since: try fields.integer("since"), to: try fields.integer("to"), entries: entries),
            signature: try fields.string("signature"))
    }
}

/// `POST /v1/sync/return`: a node gives a hub restored from a backup the hub's own events it
/// holds beyond the hub's head, with the signed pages that carried them to it, so the hub takes
/// its lost events back before it writes new ones.
public struct ReturnRequest: Sendable, Hashable {
    public var node: String
    /// The hub's own events, in seq order, with `prev` and `hash`.
    public var events: [Event]
    public var pages: [PageSignature.SignedPage]

    public init(node: String, events: [Event], pages: [PageSignature.SignedPage]) {
        self.node = node
        self.events = events
        self.pages = pages
    }

    public var json: JSONValue {
        ["node": .string(node), "events": .array(events.map(\.json)), "pages": .array(pages.map(\.json))]
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        let node = try fields.string("node")
        let events = try fields.list("events") { value, path throws(WireError) in try Event(wire: value, path: path) }
        let pages = try fields.list("pages") { value, path throws(WireError) in
            try PageSignature.SignedPage(fields: try Fields(value, path: path), node: node)
        }
        self.init(node: node, events: events, pages: pages)
    }
}

/// The answer to `POST /v1/sync/return`: how many events the hub took back and its own head now.
public struct ReturnResponse: Sendable, Hashable {
    public var accepted: Int
    public var head: ChainHead

    public init(accepted: Int, head: ChainHead) {
        self.accepted = accepted
        self.head = head
    }

    public var json: JSONValue { ["accepted": .integer(accepted), "head": head.json] }
    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(accepted: try fields.integer("accepted"), head: try ChainHead(fields: try fields.object("head")))
    }
}
