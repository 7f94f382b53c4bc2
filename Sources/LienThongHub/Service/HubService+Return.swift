import LienThongCore
import LienThongStore
import LienThongWire

extension HubService {
    /// `POST /v1/sync/return` for an authenticated `node`: a hub restored from a backup takes back
    /// its own events that `node` holds beyond the hub's head (DESIGN §5). Each event must be
    /// proven by a feed page this hub signed for `node` (its key for the page's epoch), carry a
    /// valid hash and continue the hub's own chain from its head; those are stored with a fresh
    /// checkpoint and routed to the feeds again. Events the hub holds already are skipped, so a
    /// retry changes nothing. Anything unproven refuses the whole request and stores nothing.
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
            outcome = try database.hubTransaction("take back the hub's own events") { transaction throws -> Result<ReturnResponse, HubError> in
                func refuse(_ message: String) -> Result<ReturnResponse, HubError> { .failure(.badRequest(message)) }
                let stored = try transaction.head(origin: own)
                let head = stored.map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? .empty
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
                var taken: [Event] = []
                for event in request.events.sorted(by: { $0.seq < $1.seq }) where event.seq > head.seq {
                    let what = "events: \(event.origin) seq \(event.seq)"
                    guard event.origin == own else { return refuse("\(what): only this hub's own events (\(own)) may be returned") }
                    guard event.seq == head.seq + taken.count + 1 else {
                        return refuse("\(what): expected seq \(head.seq + taken.count + 1) next (the hub holds up to \(head.seq))")
                    }
                    guard event.hashIsValid, event.prev == (taken.last?.hash ?? head.hash) else {
                        return refuse("\(what): its hash is wrong or it does not continue the hub's chain")
                    }
                    guard proven[event.seq] == event.hash else {
                        return refuse("\(what): no page this hub signed carries it; send the feed pages that delivered it")
                    }
                    guard event.epoch == identity.epoch else {
                        return refuse("\(what): written in hub epoch \(event.epoch), not the current \(identity.epoch)")
                    }
                    taken.append(event)
                }
                guard let last = taken.last else { return .success(ReturnResponse(accepted: 0, head: head)) }
                let checkpoint = try key.checkpoint(origin: own, epoch: identity.epoch, seq: last.seq, hash: last.hash)
                let positions = try transaction.store(taken, checkpoint: checkpoint)
                try transaction.advanceClock(past: last.hlc)
                _ = try route(Array(zip(positions, taken)), in: transaction, now: now)
                return .success(ReturnResponse(accepted: taken.count, head: ChainHead(seq: last.seq, hash: last.hash)))
            }
        } catch {
            throw .store(error)
        }
        return try outcome.get()
    }
}
