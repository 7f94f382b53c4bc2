import LienThongCore

/// The answer to `GET /v1/sync/own?fromSeq=`: the node's own events as the hub stored them, for a
/// node that lost its database or was restored from a backup (DESIGN §5), with what proves them:
/// the origin's signed checkpoints over those seqs and its public key for every epoch, so the
/// recovered log verifies (`node log verify`) on a machine that never held the old key.
public struct OwnEvents: Sendable, Hashable {
    public var origin: String
    public var events: [Event]
    /// The hub's head for the origin.
    public var head: ChainHead
    /// The origin's checkpoints within the events' seqs.
    public var checkpoints: [Checkpoint]
    /// The origin's public key (hex) for each epoch the hub knows.
    public var keys: [String: String]

    public init(origin: String, events: [Event], head: ChainHead, checkpoints: [Checkpoint] = [], keys: [String: String] = [:]) {
        self.origin = origin
        self.events = events
        self.head = head
        self.checkpoints = checkpoints
        self.keys = keys
    }

    /// Adds the next page of `/v1/sync/own` (paging goes on while the last event is below `head`).
    public mutating func append(_ page: OwnEvents) {
        events += page.events
        checkpoints += page.checkpoints
        keys.merge(page.keys) { first, _ in first }
        head = page.head
    }

    public var json: JSONValue {
        [
            "origin": .string(origin), "events": .array(events.map(\.json)), "head": head.json,
            "checkpoints": .array(
                checkpoints.map { ["epoch": .string($0.epoch), "seq": .integer($0.seq), "hash": .string($0.hash), "signature": .string($0.signature)] }),
            "keys": .object(keys.mapValues(JSONValue.string)),
        ]
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        let origin = try fields.string("origin")
        let events = try fields.list("events") { value, path throws(WireError) in try Event(wire: value, path: path) }
        var checkpoints: [Checkpoint] = []
        if fields.members["checkpoints"] != nil {
            checkpoints = try fields.list("checkpoints") { value, path throws(WireError) in
                let item = try Fields(value, path: path)
                return Checkpoint(
                    origin: origin, epoch: try item.string("epoch"), seq: try item.integer("seq"), hash: try item.string("hash"),
                    signature: try item.string("signature"))
            }
        }
        var keys: [String: String] = [:]
        if let members = try fields.optionalObject("keys")?.members {
            // In key order: with two bad keys, always the same one is named.
            for (epoch, value) in members.sorted(by: { $0.key < $1.key }) {
                guard let key = value.stringValue else { throw WireError(field: "keys.\(epoch)", expected: "a public key (hex string)") }
                keys[epoch] = key
            }
        }
        self.init(
            origin: origin, events: events, head: try ChainHead(fields: try fields.object("head")), checkpoints: checkpoints, keys: keys)
    }
}
