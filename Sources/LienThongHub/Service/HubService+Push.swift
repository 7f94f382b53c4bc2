import LienThongCore
import LienThongStore
import LienThongWire

extension HubService {
    /// `POST /v1/sync/push` for an authenticated `node`: each origin's batch is decided
    /// (``BatchCheck``) and stored in its own transaction, so one bad batch stores nothing for its
    /// origin and leaves the others alone. When this returns, every stored batch is durable.
    ///
    /// A node pushes only its own origin (a relay, which forwards others' chains, is a later
    /// issue): a batch of another origin refuses the whole request with 403.
    ///
    /// `beforeCommit` is for the planted bug `hub-ack-before-commit` only (debug builds; the
    /// control run of the chaos scenario that kills the hub): it gets the answer while the last
    /// batch's transaction is still open.
    public func push(
        _ request: PushRequest, node: String, now: Int64, contact: NodeContactRecord = NodeContactRecord(),
        beforeCommit: ((PushResponse) -> Void)? = nil
    ) throws(HubError) -> PushResponse {
        guard request.node == node else {
            throw .forbidden("this credential belongs to \(node); it cannot push as \(request.node)")
        }
        if let other = request.batches.first(where: { $0.origin != node }) {
            throw .forbidden("\(node) may push only its own events; the request holds a batch of \(other.origin)")
        }
        guard request.eventCount <= caps.maxEventsPerBatch else {
            throw .tooLarge("\(request.eventCount) events in one push; the hub takes at most \(caps.maxEventsPerBatch)")
        }
        var results: [OriginResult] = []
        for (index, batch) in request.batches.enumerated() {
            do {
                let earlier = results
                let last = index == request.batches.count - 1
                results.append(
                    try ingest(batch, now: now, contact: contact) { result in
                        if last, let beforeCommit { beforeCommit(PushResponse(results: earlier + [result], caps: self.caps)) }
                    })
            } catch {
                throw .store(error)
            }
        }
        if request.batches.isEmpty {
            do {
                try store.transaction("record a contact") { transaction in try transaction.touchNode(node, now: now, contact: contact) }
            } catch {
                throw .store(error)
            }
        }
        return PushResponse(results: results, caps: caps)
    }

    /// Decides on and stores one origin's batch in one IMMEDIATE transaction.
    func ingest(_ batch: PushBatch, now: Int64, contact: NodeContactRecord, beforeCommit: (OriginResult) -> Void = { _ in }) throws(StoreError)
        -> OriginResult
    {
        try store.transaction("store a pushed batch") { transaction in
            let stored = try transaction.head(origin: batch.origin)
            let head = stored.map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? .empty
            var held: [Int: BatchCheck.Held] = [:]
            // The seqs the batch overlaps, and the one before its first.
            let low = max(1, batch.firstSeq - 1)
            let high = min(head.seq, batch.lastSeq)
            if !batch.events.isEmpty && low <= high {
                for seq in low...high {
                    if let row = try transaction.held(origin: batch.origin, seq: seq) { held[seq] = BatchCheck.Held(hash: row.hash, hlc: row.hlc) }
                }
            }
            let guards = try transaction.guards(origin: batch.origin, epoch: batch.epoch)
            var keyText = try transaction.publicKey(origin: batch.origin, epoch: batch.epoch)
            // An epoch the hub has not seen, signed with the key of the origin's current epoch: the
            // same machine healed a fork and started a new epoch. Recorded once the batch is stored.
            // When the hub holds no event of the origin to go by (restored from a backup taken
            // before anything of it was stored, while the machine healed a fork since), the key it
            // pinned at enrolment: the same machine's key signs every epoch (seed 9102146).
            var newEpochKey: String?
            if keyText == nil,
                let current = try stored.flatMap({ try transaction.publicKey(origin: batch.origin, epoch: $0.epoch) })
                    ?? (stored == nil ? try transaction.enrolledKey(origin: batch.origin) : nil)
            {
                keyText = current
                newEpochKey = current
            }
            // The hashes healed forks re-appended (`replaces`): read once, and only if the batch diverges.
            var replacedHashes: Set<String>?
            let decided = BatchCheck.decide(
                batch, head: head, headHLC: stored?.hlc, held: { held[$0] }, key: keyText.flatMap { try? VerifyingKey(hex: $0) },
                fenced: guards.epochFenced,
                replaced: { hash in
                    if replacedHashes == nil { replacedHashes = (try? transaction.replacedHashes(origin: batch.origin)) ?? [] }
                    return replacedHashes?.contains(hash) ?? false
                })
            // While a clone is suspected, nothing more of the origin enters the chain: whichever
            // machine pushes, its batch is held as evidence until the operator keeps one epoch. After
            // the operator fenced an epoch of the origin, a new epoch is held the same way: a fenced
            // machine that healed into a fresh epoch must not slip past the fence.
            var verdict = decided
            if case .append(let events, _, _) = decided, guards.suspicion != nil || (newEpochKey != nil && guards.anyFenced) {
                verdict = .diverged(
                    .cloneSuspected,
                    "epoch \(batch.epoch) of \(batch.origin) is new, and the operator fenced an epoch of this origin before: "
                        + "it may be the fenced machine after a heal", branch: events)
            }
            func holding(_ id: Int) -> OriginResult {
                OriginResult(
                    origin: batch.origin, outcome: .cloneSuspected, head: head,
                    reason: "two machines write as \(batch.origin): the hub holds its pushes as evidence until the operator keeps one "
                        + "machine's epoch (`lienthong hub fork resolve \(batch.origin) --keep EPOCH`, suspicion \(id)); this machine's epoch is \(batch.epoch)"
                )
            }
            let result: OriginResult
            switch verdict {
            case .append(let events, let checkpoint, let stored):
                if let newEpochKey { try transaction.addEpoch(origin: batch.origin, epoch: batch.epoch, publicKey: newEpochKey) }
                let positions = try transaction.store(events, stored: stored, checkpoint: checkpoint)
                let quarantined = try route(Array(zip(positions, events)), in: transaction, now: now)
                result = OriginResult(
                    origin: batch.origin, outcome: .stored, head: ChainHead(seq: checkpoint.seq, hash: checkpoint.hash), stored: events.count,
                    quarantined: quarantined)
            case .duplicate:
                result = OriginResult(origin: batch.origin, outcome: .duplicate, head: head)
            case .reject(let outcome, let reason):
                result = OriginResult(origin: batch.origin, outcome: outcome, head: head, reason: reason)
            case .diverged(.cloneSuspected, let reason, let branch):
                let id =
                    try guards.suspicion
                    ?? transaction.openCloneSuspicion(
                        origin: batch.origin, epoch: batch.epoch, divergedAt: branch.first?.seq ?? batch.firstSeq, reason: reason, now: now)
                try transaction.holdAsEvidence(branch, suspicion: id, now: now)
                result = holding(id)
            case .diverged(let outcome, let reason, _):
                // A restored machine (`fork`): it heals and pushes its branch again in a new epoch.
                result = OriginResult(origin: batch.origin, outcome: outcome, head: head, reason: reason)
            }
            // After the decision, so "caught up" compares the node's head with what is now stored.
            try transaction.touchNode(batch.origin, now: now, contact: contact)
            beforeCommit(result)
            return result
        }
    }

    /// Decides who sees each newly stored event (DESIGN §5, feeds): an event on a dossier its origin
    /// may not touch is quarantined; a forward makes the dossier visible to its target, whose feed
    /// first gets the dossier's earlier history; every other event goes to the feed of each origin
    /// that sees its dossier, except its own.
    /// - Returns: how many events were quarantined.
    func route(_ stored: [(position: Int, event: Event)], in transaction: any HubTransaction, now: Int64) throws -> Int {
        var quarantined = 0
        var audiences: [String: Set<String>] = [:]
        // Each node's new feed entries, in order; appended once per node at the end, so the feed's
        // end is read once per node and batch, not once per event.
        var feeds: [String: [Int]] = [:]
        for (position, event) in stored {
            guard let code = event.dossier else {
                // Hub-wide events of the hub itself (a published calendar) go to every node. Only the
                // hub publishes: a node's is kept as evidence, never delivered nor used.
                if event.origin == identity.origin {
                    for node in try transaction.nodes() { feeds[node, default: []].append(position) }
                } else {
                    try transaction.quarantine(position: position, reason: "\(event.origin) may not write \(event.type): only the hub publishes")
                    quarantined += 1
                }
                continue
            }
            var audience: Set<String>
            if let known = audiences[code] {
                audience = known
            } else {
                audience = try transaction.audience(of: code)
                if audience.isEmpty, let receiving = receivingOrigin(of: code) {
                    try transaction.addAudience(dossier: code, origin: receiving)
                    audience = [receiving]
                }
            }
            guard event.origin == identity.origin || audience.contains(event.origin) else {
                try transaction.quarantine(
                    position: position,
                    reason: "\(event.origin) may not touch dossier \(code): it is neither its receiving office nor an office it was forwarded to")
                quarantined += 1
                audiences[code] = audience
                continue
            }
            var backfilled: String?
            if event.type == "dossier.forwarded", let target = event.body["to"]?.stringValue, target != identity.origin,
                !audience.contains(target)
            {
                try transaction.addAudience(dossier: code, origin: target)
                // The history up to and including this forward. Events after it — later in this
                // batch — reach the target below, as members of the audience, once each.
                let history = try transaction.visibleEvents(ofDossier: code)
                    .filter { $0.position <= position && $0.event.origin != target }.map(\.position)
                feeds[target, default: []].append(contentsOf: history)
                audience.insert(target)
                backfilled = target
            }
            for node in audience where node != event.origin && node != identity.origin && node != backfilled {
                feeds[node, default: []].append(position)
            }
            audiences[code] = audience
        }
        for (node, positions) in feeds.sorted(by: { $0.key < $1.key }) {
            try transaction.appendToFeed(node: node, eventPositions: positions, now: now)
        }
        return quarantined
    }

    /// The origin of the office whose agency code begins `code`, from the hub's topology.
    func receivingOrigin(of code: String) -> String? {
        guard let agency = code.split(separator: "-").first else { return nil }
        return topology.agency(code: String(agency))?.origin
    }
}
