import LienThongCore

/// The hub's decision on one origin's batch (DESIGN §5), as a pure function of the batch, the hub's
/// head for that origin, the events it holds at overlapping seqs and the origin's key: no clock, no
/// database. The hub's store calls it inside the transaction that appends, so two pushes of the same
/// origin cannot both pass against the same head.
public enum BatchCheck {
    /// What the hub holds of one event of the origin.
    public struct Held: Sendable, Hashable {
        public var hash: String
        public var hlc: HLC

        public init(hash: String, hlc: HLC) {
            self.hash = hash
            self.hlc = hlc
        }
    }

    public enum Verdict: Sendable, Hashable {
        /// Store these events (those after the hub's head, with `prev` and `hash` filled in) and
        /// this checkpoint; `stored` holds each event's ``Event/storedBytes``, encoded once here.
        case append([Event], Checkpoint, stored: [[UInt8]])
        /// The hub holds every event of the batch, identical.
        case duplicate
        /// Store nothing; answer this outcome and reason.
        case reject(PushOutcome, String)
        /// Store nothing in the chain: from `branch.first`'s seq on, the batch differs from what
        /// the hub holds. `outcome` is `fork` (a restored machine) or `clone-suspected`; `branch`
        /// holds the batch's events from the divergence, hashes filled in (evidence of a clone).
        case diverged(PushOutcome, String, branch: [Event])
    }

    /// Decides on `batch`.
    /// - Parameters:
    ///   - head: the hub's head for the batch's origin (``ChainHead/empty`` if it holds none).
    ///   - headHLC: the hlc of the event at `head`, if any.
    ///   - held: what the hub holds at a seq ≤ `head.seq` (used for the seqs the batch overlaps and
    ///     the one before it).
    ///   - key: the origin's public key for the batch's epoch, if enrolled.
    ///   - fenced: whether the operator fenced this epoch off.
    ///   - replaced: whether the hub holds an event of the origin re-appended in place of the event
    ///     with this hash by a healed fork (`replaces`); consulted only when the batch diverges.
    public static func decide(
        _ batch: PushBatch, head: ChainHead, headHLC: HLC?, held: (Int) -> Held?, key: VerifyingKey?, fenced: Bool,
        replaced: (String) -> Bool = { _ in false }, validator: EventValidator = EventValidator()
    ) -> Verdict {
        let origin = batch.origin
        guard let first = batch.events.first, let last = batch.events.last else { return .reject(.invalid, "the batch has no events") }
        for (index, event) in batch.events.enumerated() where event.seq != first.seq + index {
            return .reject(.invalid, "seqs must be consecutive: seq \(event.seq) follows \(first.seq + index - 1)")
        }
        guard let key else {
            return .reject(
                .invalid, "the hub has no public key for epoch \(batch.epoch) of \(origin); enrol this machine (lienthong node enroll)")
        }

        // Rebuild the chain from `base` and check the signature over its end.
        var chained: [Event] = []
        chained.reserveCapacity(batch.events.count)
        var stored: [[UInt8]] = []
        stored.reserveCapacity(batch.events.count)
        var prev = batch.base
        for var event in batch.events {
            let carried = event.hash
            event.prev = prev
            let (hash, bytes) = event.sealed()
            event.hash = hash
            if !carried.isEmpty && carried != event.hash {
                return .reject(.invalid, "seq \(event.seq): the hash the sender sent does not match the event's content")
            }
            do {
                _ = try validator.validate(event, storedSize: bytes.count)
            } catch {
                return .reject(.invalid, "seq \(event.seq): \(error.description)")
            }
            prev = event.hash
            chained.append(event)
            stored.append(bytes)
        }
        let checkpoint = Checkpoint(origin: origin, epoch: batch.epoch, seq: last.seq, hash: prev, signature: batch.signature)
        guard key.verifies(checkpoint) else {
            return .reject(
                .invalid,
                "the signature does not verify over seqs \(first.seq)–\(last.seq): an event was changed after it was signed, or the key is not this origin's"
            )
        }

        // A fenced epoch may still re-send what the hub holds (answered `duplicate`): its kept
        // successor's first push after a clone starts with events of the fenced epoch that the
        // hub stored before the clone. Anything new, diverging or out of reach is refused.
        let fencedOff = Verdict.reject(.epochFenced, "epoch \(batch.epoch) of \(origin) was fenced off by the hub operator; this machine must not push")
        if first.seq > head.seq + 1 {
            if fenced { return fencedOff }
            // Planted bug (debug builds only): a batch past the head is stored, leaving a hole.
            if PlantedBug.acceptGap.isActive { return .append(chained, checkpoint, stored: stored) }
            return .reject(.gap, "the hub holds \(origin) up to seq \(head.seq); send from seq \(head.seq + 1)")
        }
        // Where the batch overlaps what the hub holds, it must be the same chain.
        let before = first.seq == 1 ? Event.genesisHash : (first.seq - 1 == head.seq ? head.hash : held(first.seq - 1)?.hash)
        var divergence: Event?
        if before != batch.base {
            divergence = chained[0]
        } else {
            for event in chained where event.seq <= head.seq && held(event.seq)?.hash != event.hash {
                divergence = event
                break
            }
        }
        if fenced && (divergence != nil || last.seq > head.seq) { return fencedOff }
        if let divergence {
            let branch = chained.filter { $0.seq >= divergence.seq }
            // A restored machine's branch is entirely later than what the hub last heard from the
            // origin; a clone's history interleaves with it.
            // Events a heal already re-appended (the hub holds one naming them in `replaces`) come
            // back when a machine is restored from a backup older than that heal: not a clone.
            let branchIsLater =
                headHLC.map { hlc in
                    branch.allSatisfy { $0.hlc > hlc || replaced($0.hash) }
                } ?? true
            let outcome: PushOutcome = branchIsLater ? .fork : .cloneSuspected
            return .diverged(
                outcome,
                "seq \(divergence.seq) of \(origin) differs from the event the hub holds at that seq (hub head \(head.seq)); "
                    + (branchIsLater ? "the machine was probably restored from a backup" : "two machines seem to write as this origin"),
                branch: branch)
        }
        // Planted bug (debug builds only): a re-sent batch is stored again instead of answered `duplicate`.
        let skip = PlantedBug.skipDuplicateCheck.isActive ? 0 : max(0, min(chained.count, head.seq - first.seq + 1))
        return skip == chained.count ? .duplicate : .append(Array(chained[skip...]), checkpoint, stored: Array(stored[skip...]))
    }
}
