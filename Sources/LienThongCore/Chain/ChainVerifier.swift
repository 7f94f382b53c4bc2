/// Checks stored events and checkpoints against each other: every event's bytes are its canonical
/// form and hash to its `hash`, seqs are contiguous from 1, `prev` links to the previous hash, and
/// every checkpoint is signed by its origin's key for its epoch over an event that is really there.
///
/// Pure: the store feeds it rows, so the same rules check a node's file, a hub's file or a backup.
public struct ChainVerifier: Sendable {
    /// One thing found wrong, at one event or checkpoint of one origin.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public let origin: String
        public let seq: Int
        public let reason: String

        public init(origin: String, seq: Int, reason: String) {
            self.origin = origin
            self.seq = seq
            self.reason = reason
        }

        public var description: String { "\(origin) seq \(seq): \(reason)" }
    }

    /// The last event checked for each origin.
    public struct Head: Sendable, Hashable {
        public let seq: Int
        public let hash: String
        public let epoch: String
    }

    public private(set) var heads: [String: Head] = [:]
    private let validator: EventValidator

    public init(validator: EventValidator = EventValidator()) {
        self.validator = validator
    }

    /// Checks one stored event. Feed each origin's events in seq order.
    ///
    /// - Parameters:
    ///   - origin, seq, hash: the row's key and hash columns.
    ///   - bytes: the stored canonical JSON of the whole event.
    ///   - allowGaps: whether seqs may be missing before this one. A node holds another origin's
    ///     events only for the dossiers it can see, so those chains are sparse; each such event is
    ///     proved by a signed feed page instead. Where the previous seq is present, `prev` must
    ///     still link to it.
    /// - Returns: what is wrong with it, or nil. The origin's head advances either way, so a single
    ///   damaged event is reported once and not as a break of every later one.
    public mutating func check(origin: String, seq: Int, hash: String, bytes: [UInt8], allowGaps: Bool = false) -> Problem? {
        let previous = heads[origin]
        func problem(_ reason: String) -> Problem { Problem(origin: origin, seq: seq, reason: reason) }
        let event: Event
        do {
            event = try Event(bytes: bytes)
        } catch {
            heads[origin] = Head(seq: seq, hash: hash, epoch: previous?.epoch ?? "")
            return problem("stored bytes are not a valid event (\(error.description))")
        }
        heads[origin] = Head(seq: seq, hash: hash, epoch: event.epoch)
        guard event.origin == origin, event.seq == seq else {
            return problem("stored event says origin \(event.origin) seq \(event.seq), its row says \(origin) seq \(seq)")
        }
        guard event.storedBytes == bytes else {
            return problem("stored bytes are not the event's canonical form")
        }
        guard event.hashIsValid else {
            return problem("content does not match its hash \(event.hash.prefix(12))…: the event was altered")
        }
        guard event.hash == hash else {
            return problem("hash column \(hash.prefix(12))… differs from the event's hash \(event.hash.prefix(12))…")
        }
        let expectedSeq = (previous?.seq ?? 0) + 1
        guard seq == expectedSeq || (allowGaps && seq > expectedSeq) else {
            return problem("seq is not contiguous: expected \(expectedSeq) after \(previous?.seq ?? 0)")
        }
        let expectedPrev = previous?.hash ?? Event.genesisHash
        guard seq > expectedSeq || event.prev == expectedPrev else {
            return problem("prev \(event.prev.prefix(12))… does not link to the previous hash \(expectedPrev.prefix(12))…")
        }
        do {
            _ = try validator.validate(event)
        } catch {
            return problem("malformed event: \(error.description)")
        }
        return nil
    }

    /// Checks one stored checkpoint.
    ///
    /// - Parameters:
    ///   - eventAtSeq: the hash and epoch of the stored event at the checkpoint's seq, if any.
    ///   - key: the origin's public key for the checkpoint's epoch, if known.
    public static func check(_ checkpoint: Checkpoint, eventAtSeq: (hash: String, epoch: String)?, key: VerifyingKey?) -> Problem? {
        func problem(_ reason: String) -> Problem { Problem(origin: checkpoint.origin, seq: checkpoint.seq, reason: reason) }
        guard let key else {
            return problem("checkpoint of epoch \(checkpoint.epoch) has no known public key")
        }
        guard key.verifies(checkpoint) else {
            return problem("checkpoint signature is not valid for the origin's key")
        }
        guard let eventAtSeq else {
            return problem("checkpoint names an event that is not in the log")
        }
        guard eventAtSeq.hash == checkpoint.hash, eventAtSeq.epoch == checkpoint.epoch else {
            return problem("checkpoint signs hash \(checkpoint.hash.prefix(12))… but the log holds \(eventAtSeq.hash.prefix(12))…")
        }
        return nil
    }
}
