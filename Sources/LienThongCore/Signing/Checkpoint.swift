/// A signed statement by an origin that its chain has `hash` at `seq` in `epoch`. Because every
/// event's hash covers its predecessor's, one signature vouches for the whole chain up to `seq`.
///
/// The signed message is `lienthong-checkpoint-v1\n` followed by the canonical JSON of
/// `{origin, epoch, seq, hash}` (DESIGN §2).
public struct Checkpoint: Sendable, Hashable {
    public let origin: String
    public let epoch: String
    public let seq: Int
    public let hash: String
    /// Ed25519 signature over ``message``, lowercase hex (128 digits).
    public let signature: String

    public init(origin: String, epoch: String, seq: Int, hash: String, signature: String) {
        self.origin = origin
        self.epoch = epoch
        self.seq = seq
        self.hash = hash
        self.signature = signature
    }

    /// The prefix of every checkpoint message.
    public static let messagePrefix = "lienthong-checkpoint-v1\n"

    /// The exact bytes an origin signs for a checkpoint.
    public static func message(origin: String, epoch: String, seq: Int, hash: String) -> [UInt8] {
        let fields: JSONValue = ["origin": .string(origin), "epoch": .string(epoch), "seq": .integer(seq), "hash": .string(hash)]
        return Array(messagePrefix.utf8) + CanonicalJSON.encode(fields)
    }

    /// The bytes this checkpoint's signature covers.
    public var message: [UInt8] { Self.message(origin: origin, epoch: epoch, seq: seq, hash: hash) }
}
