import LienThongCore
import LienThongStore
import LienThongWire

extension HubService {
    /// `POST /v1/sync/return` for an authenticated `node`: a hub restored from a backup takes back
    /// its own events that `node` holds beyond the hub's head (DESIGN §5). Each event must be
    /// proven by a feed page this hub signed for `node` (its key for the page's epoch) and carry a
    /// valid hash; anything unproven refuses the whole request and stores nothing. Proven events
    /// are kept in `hubReturned`; those that continue the hub's chain from its head — from this
    /// node or held aside from another — are stored with a fresh checkpoint and routed to the
    /// feeds again. A retry changes nothing. When the request is the node's `last`, the node has
    /// returned all it holds; once every active node has, the recovery finishes.
    public func takeBack(_ request: ReturnRequest, node: String, now: Int64) throws(HubError) -> ReturnResponse {
        guard request.node == node else { throw .forbidden("this credential belongs to \(node); it cannot return events as \(request.node)") }
        guard request.events.count <= caps.maxEventsPerBatch else {
            throw .tooLarge("\(request.events.count) events in one return; the hub takes at most \(caps.maxEventsPerBatch)")
        }
        let own = identity.origin
        // A refusal comes out of the transaction as a value (nothing is written before it), so its
        // 400 is not turned into a database error.
        let outcome: Result<ReturnResponse, HubError>
        do {
            outcome = try store.transaction("take back the hub's own events") { transaction throws -> Result<ReturnResponse, HubError> in
                func refuse(_ message: String) -> Result<ReturnResponse, HubError> { .failure(.badRequest(message)) }
                let stored = try transaction.head(origin: own)
                var head = stored.map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? .empty
                guard let recovery = try transaction.openRecovery() else {
                    // Not (or no longer) recovering: nothing to take back.
                    return .success(ReturnResponse(accepted: 0, head: head, recovering: false))
                }
                var proven: [Int: String] = [:]
                for page in request.pages {
                    let range = "page \(page.summary.since + 1)…\(page.summary.to)"
                    guard let hex = try transaction.publicKey(origin: own, epoch: page.hubEpoch), let key = try? VerifyingKey(hex: hex) else {
                        return refuse("pages: \(range) names hub epoch \(page.hubEpoch), which this hub never had")
                    }
                    guard page.summary.entries.allSatisfy({ $0.position > page.summary.since && $0.position <= page.summary.to }),
                        PageSignature.verify(page.summary, signature: page.signature, key: key)
                    else {
                        return refuse("pages: \(range): this hub's signature does not verify over it (for \(node))")
                    }
                    for entry in page.summary.entries where entry.origin == own { proven[entry.seq] = entry.hash }
                }
                var returned: [Event] = []
                for event in request.events.sorted(by: { $0.seq < $1.seq }) where event.seq > head.seq {
                    let what = "events: \(event.origin) seq \(event.seq)"
                    guard event.origin == own else { return refuse("\(what): only this hub's own events (\(own)) may be returned") }
                    guard event.hashIsValid else { return refuse("\(what): its hash does not match its content") }
                    guard proven[event.seq] == event.hash else {
                        return refuse("\(what): no page this hub signed carries it; send the feed pages that delivered it")
                    }
                    guard event.epoch == identity.epoch else {
                        return refuse("\(what): written in hub epoch \(event.epoch), not the current \(identity.epoch)")
                    }
                    returned.append(event)
                }
                try transaction.holdReturned(returned, recovery: recovery.id, node: node, now: now)
                // Chain what continues the head, whichever node returned it.
                var taken: [Event] = []
                for event in try transaction.returned(recovery: recovery.id, afterSeq: head.seq) {
                    guard event.seq == head.seq + taken.count + 1, event.prev == (taken.last?.hash ?? head.hash) else { break }
                    taken.append(event)
                }
                if let last = taken.last {
                    let checkpoint = try key.checkpoint(origin: own, epoch: identity.epoch, seq: last.seq, hash: last.hash)
                    let positions = try transaction.store(taken, checkpoint: checkpoint)
                    try transaction.advanceClock(past: last.hlc)
                    _ = try route(Array(zip(positions, taken)), in: transaction, now: now)
                    head = ChainHead(seq: last.seq, hash: last.hash)
                }
                // A `last` answering an earlier, superseded recovery does not count for this one.
                if request.last, request.recovery == Int(recovery.startedAt) {
                    try transaction.reportReturned(recovery: recovery.id, node: node, held: request.held, now: now)
                }
                var recovering = true
                if try transaction.waitingNodes(recovery: recovery.id).isEmpty {
                    _ = try finishRecovery(recovery, in: transaction, by: "every commune returned", now: now)
                    head = try transaction.head(origin: own).map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? head
                    recovering = false
                }
                let aside = try transaction.returned(recovery: recovery.id, afterSeq: head.seq).count
                return .success(ReturnResponse(accepted: taken.count, heldAside: recovering ? aside : 0, head: head, recovering: recovering))
            }
        } catch {
            throw .store(error)
        }
        return try outcome.get()
    }

    /// Ends the open recovery before every node has returned (`hub restore --finish`): what the
    /// missing nodes hold beyond the head is then lost to the hub; those nodes move such events
    /// aside when the hub writes at their seqs. Refused when no recovery is open.
    /// - Returns: how many held-aside events were written again.
    public func finishRecovery(actor: String, now: Int64) throws(StoreError) -> (recovery: HubRecovery, reappended: Int) {
        let outcome: Result<(HubRecovery, Int), StoreError> = try store.transaction("finish the hub's recovery") { transaction in
            guard let recovery = try transaction.openRecovery() else {
                return .failure(.refused("the hub is not recovering from a restore: nothing to finish (see `lienthong hub status`)"))
            }
            let count = try finishRecovery(recovery, in: transaction, by: actor, now: now)
            return .success((recovery, count))
        }
        return try outcome.get()
    }

    /// Finishes `recovery`: the returned events still held aside (an earlier event of the chain was
    /// held by no node) are written again as new events of the hub — same dossier, type, actor and
    /// body, `replaces: <old hash>` and `replacesSeq: <old seq>` (a node event whose `seen` names
    /// the old seq folds after the rewrite), the hub's own `seen` mapped to their new seqs — and routed, so
    /// nothing a node held is lost; the nodes holding the old ones move them aside as they pull the
    /// new. Then the hub may write again.
    func finishRecovery(_ recovery: HubRecovery, in transaction: any HubTransaction, by: String, now: Int64) throws -> Int {
        let own = identity.origin
        let head = try transaction.head(origin: own)?.seq ?? 0
        let aside = try transaction.returned(recovery: recovery.id, afterSeq: head)
        var newSeq: [Int: Int] = [:]
        for (index, event) in aside.enumerated() { newSeq[event.seq] = head + 1 + index }
        let drafts = aside.map { event -> EventDraft in
            var seen = event.seen
            if let mine = seen[own], mine > head { seen[own] = newSeq[mine] }
            var body = event.body.objectValue ?? [:]
            body["replaces"] = .string(event.hash)
            // What the nodes' `seen` may name: the fold lets the rewrite stand for it.
            body["replacesSeq"] = .integer(event.seq)
            return EventDraft(dossier: event.dossier, seen: seen, type: event.type, actor: event.actor, body: .object(body))
        }
        if !drafts.isEmpty {
            let appended = try transaction.appendOwn(drafts, key: key, wallMilliseconds: { UInt64(max(0, now)) }, finishingRecovery: true)
            _ = try route(appended, in: transaction, now: now)
        }
        try transaction.finishRecovery(recovery.id, by: by, reappended: drafts.count, now: now)
        return drafts.count
    }
}
