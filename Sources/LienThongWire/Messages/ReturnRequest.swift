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
/// its lost events back before it writes new ones. A node that holds none sends an empty one: it
/// tells the hub it has nothing to return.
public struct ReturnRequest: Sendable, Hashable {
    public var node: String
    /// The hub's own events, in seq order, with `prev` and `hash`.
    public var events: [Event]
    public var pages: [PageSignature.SignedPage]
    /// The recovery this answers (the pull page's `recovery`: when it started).
    public var recovery: Int
    /// The highest seq of the hub's events the node holds.
    public var held: Int
    /// Whether this is the node's last return for the recovery: it holds nothing more.
    public var last: Bool

    public init(node: String, events: [Event], pages: [PageSignature.SignedPage], recovery: Int = 0, held: Int = 0, last: Bool = true) {
        self.node = node
        self.events = events
        self.pages = pages
        self.recovery = recovery
        self.held = held
        self.last = last
    }

    public var json: JSONValue {
        [
            "node": .string(node), "events": .array(events.map(\.json)), "pages": .array(pages.map(\.json)), "recovery": .integer(recovery),
            "held": .integer(held), "last": .bool(last),
        ]
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        let node = try fields.node("node")
        let events = try fields.list("events") { value, path throws(WireError) in try Event(wire: value, path: path) }
        let pages = try fields.list("pages") { value, path throws(WireError) in
            try PageSignature.SignedPage(fields: try Fields(value, path: path), node: node)
        }
        self.init(
            node: node, events: events, pages: pages, recovery: try fields.integer("recovery"), held: try fields.integer("held"),
            last: try fields.bool("last"))
    }
}

/// The answer to `POST /v1/sync/return`: how many events the hub took back into its chain, how
/// many it holds aside (an earlier event is still missing), its own head now, and whether its
/// recovery is still open.
public struct ReturnResponse: Sendable, Hashable {
    public var accepted: Int
    public var heldAside: Int
    public var head: ChainHead
    public var recovering: Bool

    public init(accepted: Int, heldAside: Int = 0, head: ChainHead, recovering: Bool = false) {
        self.accepted = accepted
        self.heldAside = heldAside
        self.head = head
        self.recovering = recovering
    }

    public var json: JSONValue {
        ["accepted": .integer(accepted), "heldAside": .integer(heldAside), "head": head.json, "recovering": .bool(recovering)]
    }
    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(
            accepted: try fields.integer("accepted"), heldAside: try fields.integer("heldAside"), head: try ChainHead(fields: try fields.object("head")),
            recovering: try fields.bool("recovering"))
    }
}
