import LienThongCore

/// The last event of an origin's chain that a replica holds: (seq, hash). Seq 0 with the genesis
/// hash means none.
public struct ChainHead: Sendable, Hashable, CustomStringConvertible {
    public var seq: Int
    public var hash: String

    public init(seq: Int, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// Before the first event.
    public static let empty = ChainHead(seq: 0, hash: Event.genesisHash)

    public var description: String { "\(seq) \(hash.prefix(12))" }

    public var json: JSONValue { ["seq": .integer(seq), "hash": .string(hash)] }

    init(fields: Fields) throws(WireError) {
        self.init(seq: try fields.integer("seq"), hash: try fields.string("hash"))
    }
}
