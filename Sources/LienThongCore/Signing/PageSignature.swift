/// The hub's signature over a pull page (DESIGN §5), in Core because both the wire (the hub signs,
/// the node checks on arrival) and the store (`node log verify` checks stored pages) need it.
public enum PageSignature {
    public static let messagePrefix = "lienthong-page-v1\n"

    public struct Entry: Sendable, Hashable {
        public var position: Int
        public var origin: String
        public var seq: Int
        public var hash: String

        public init(position: Int, origin: String, seq: Int, hash: String) {
            self.position = position
            self.origin = origin
            self.seq = seq
            self.hash = hash
        }
    }

    /// What a page signature covers: the node, the range and each entry's identity and hash.
    public struct Summary: Sendable, Hashable {
        public var node: String
        public var since: Int
        public var to: Int
        public var entries: [Entry]

        public init(node: String, since: Int, to: Int, entries: [Entry]) {
            self.node = node
            self.since = since
            self.to = to
            self.entries = entries
        }

        /// The exact bytes the hub signs.
        public var message: [UInt8] {
            let list: [JSONValue] = entries.map {
                ["position": .integer($0.position), "origin": .string($0.origin), "seq": .integer($0.seq), "hash": .string($0.hash)]
            }
            let fields: JSONValue = ["node": .string(node), "since": .integer(since), "to": .integer(to), "entries": .array(list)]
            return Array(PageSignature.messagePrefix.utf8) + CanonicalJSON.encode(fields)
        }
    }

    /// A page as a node stores it: the summary and the hub's signature over it, with the hub epoch
    /// whose key made it. What proves to a hub restored from a backup that it wrote the events a
    /// node returns (DESIGN §5).
    public struct SignedPage: Sendable, Hashable {
        public var hubEpoch: String
        public var summary: Summary
        public var signature: String

        public init(hubEpoch: String, summary: Summary, signature: String) {
            self.hubEpoch = hubEpoch
            self.summary = summary
            self.signature = signature
        }
    }

    /// Signs `summary` with the hub's key; returns lowercase hex.
    public static func sign(_ summary: Summary, key: SigningKey) throws(KeyError) -> String {
        Digest.hex(try key.sign(summary.message))
    }

    /// Whether `signature` (hex) is the hub's signature over `summary`.
    public static func verify(_ summary: Summary, signature: String, key: VerifyingKey) -> Bool {
        guard let bytes = Digest.bytes(fromHex: signature) else { return false }
        return key.isValidSignature(bytes, for: summary.message)
    }
}
