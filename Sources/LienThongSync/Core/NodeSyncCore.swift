import LienThongCore
import LienThongStore
import LienThongWire
import Logging

/// The synchronous half of the node's sync: it builds each request from the database and stores
/// each answer, and records every attempt (DESIGN §7). ``NodeSync`` sends the requests over HTTP;
/// the deterministic simulator (LienThongTesting) carries them over its simulated network. Both run
/// this same code, so the simulator tests what the daemon does.
public struct NodeSyncCore: Sendable {
    public let database: NodeDatabase
    public let key: SigningKey
    public let origin: String
    public let link: HubLink
    let logger: Logger
    /// A new epoch id for a healed fork (random; the simulator injects a seeded one).
    let newEpoch: @Sendable () -> String

    public init(
        database: NodeDatabase, key: SigningKey, origin: String, link: HubLink, logger: Logger,
        newEpoch: @escaping @Sendable () -> String = LocalIdentity.newEpoch
    ) {
        self.newEpoch = newEpoch
        self.database = database
        self.key = key
        self.origin = origin
        self.link = link
        self.logger = logger
    }

    // MARK: Push

    /// The push request for the engine's `.push(afterSeq:limit:)`, or nil if nothing waits.
    public func pushRequest(afterSeq: Int, limit: Int, now: Int64) throws(StoreError) -> PushRequest? {
        guard let (events, checkpoint) = try database.pendingBatch(afterSeq: afterSeq, limit: limit, key: key) else { return nil }
        if PlantedBug.ackBeforeStored.isActive {
            try database.recordStored(seq: checkpoint.seq, hash: checkpoint.hash, now: now)
        }
        return PushRequest(node: origin, batches: [PushBatch(events: events, checkpoint: checkpoint)])
    }

    /// Stores the hub's answer to `request`: its head for this origin when it stored or held the
    /// batch. A `fork` answer (this machine was restored from a backup) makes the engine take its
    /// own events back and heal.
    public func pushed(_ response: PushResponse, request: PushRequest, started: Int64, now: Int64) throws -> [SyncEngine.Result] {
        guard let result = response.results.first(where: { $0.origin == origin }) else {
            throw HubClientError.malformed("no result for \(origin)")
        }
        if [.stored, .duplicate, .gap].contains(result.outcome) {
            try database.recordStored(seq: result.head.seq, hash: result.head.hash, now: now)
        }
        let events = request.batches.first?.events ?? []
        let detail =
            "seqs \(events.first?.seq ?? 0)–\(events.last?.seq ?? 0): stored \(result.stored), hub head \(result.head.seq)"
            + (result.reason.map { "; \($0)" } ?? "")
        try database.recordAttempt(kind: "push", startedAt: started, endedAt: now, outcome: result.outcome.rawValue, detail: detail)
        if result.outcome != .stored && result.outcome != .duplicate {
            logger.warning("push not stored", metadata: ["push.outcome": "\(result.outcome.rawValue)", "push.reason": "\(result.reason ?? "")"])
        }
        // The database head, first: a push may carry events the daemon has not noticed yet, and a
        // hub head above the engine's stale head must not look like a restore.
        return [
            .caps(response.caps),
            .localHead(seq: try database.head(origin: origin)?.seq ?? 0),
            .pushed(outcome: result.outcome, storedSeq: result.head.seq, reason: result.reason, milliseconds: now - started),
        ]
    }

    // MARK: Pull

    /// Checks and stores a pulled page (see ``check(_:since:)``).
    public func pulled(_ page: PullPage, since: Int, started: Int64, now: Int64, wallMilliseconds: () -> UInt64) throws -> [SyncEngine.Result] {
        try check(page, since: since)
        let added = try database.storePulled(
            PulledPage(
                since: page.since, to: page.to, end: page.end, hub: page.hub, hubEpoch: page.hubEpoch, signature: page.signature,
                entries: page.entries.map { ($0.position, $0.event) }),
            wallMilliseconds: wallMilliseconds, now: now)
        if !page.entries.isEmpty {
            try database.recordAttempt(
                kind: "pull", startedAt: started, endedAt: now, outcome: "stored",
                detail: "positions \(page.since + 1)–\(page.to) of \(page.end): \(added ?? 0) new events")
        }
        var results: [SyncEngine.Result] = [.pulled(to: page.to, end: page.end)]
        if let stored = page.stored, stored > (try database.head(origin: origin)?.seq ?? 0) { results.append(.hubHolds(seq: stored)) }
        if let recovery = page.recovery {
            // Restored from a backup: it may hold fewer of this node's events than it acknowledged.
            // Those are pending again (status shows them), and the engine pushes them again.
            if let stored = page.stored, stored < (try database.syncCursor().storedSeq) {
                let hash = stored == 0 ? Event.genesisHash : (try database.events(origin: origin, fromSeq: stored, limit: 1).first?.hash ?? Event.genesisHash)
                try database.recordStored(seq: stored, hash: hash, now: now)
                results.append(.hubLost(seq: stored))
            }
            results.append(.hubRecovering(recovery: recovery, hubHead: page.hubHead ?? 0))
        }
        return results
    }

    // MARK: Returning the hub's events

    /// The return for the engine's `.returnHub(recovery:afterSeq:)`: the hub's own events this
    /// node holds after `afterSeq`, at most `limit`, with their signed pages; empty when it holds
    /// none (which tells the hub so). Also the last seq looked at and whether more may follow.
    public func returnRequest(recovery: Int, afterSeq: Int, limit: Int) throws(StoreError) -> (request: ReturnRequest, throughSeq: Int, more: Bool) {
        let found = try database.hubEventsToReturn(hub: link.hub, afterSeq: afterSeq, limit: limit)
        let held = try database.heldHubSeq(hub: link.hub)
        let request = ReturnRequest(node: origin, events: found.events, pages: found.pages, recovery: recovery, held: held, last: !found.more)
        return (request, found.throughSeq, found.more)
    }

    /// Records the hub's answer to a return.
    public func returned(
        _ response: ReturnResponse, request: ReturnRequest, throughSeq: Int, more: Bool, started: Int64, now: Int64
    ) throws -> [SyncEngine.Result] {
        let detail =
            "returned \(request.events.count) of the hub's events (through seq \(throughSeq)): it took \(response.accepted) into its chain, "
            + "holds \(response.heldAside) aside, its head is \(response.head.seq)" + (response.recovering ? "; still recovering" : "; recovery finished")
        try database.recordAttempt(kind: "push", startedAt: started, endedAt: now, outcome: "returned", detail: detail)
        if !request.events.isEmpty {
            logger.warning(
                "the hub was restored from a backup: returned its events this node held",
                metadata: ["return.events": "\(request.events.count)", "return.accepted": "\(response.accepted)", "return.hubHead": "\(response.head.seq)"])
        }
        return [.returned(recovery: request.recovery, throughSeq: throughSeq, more: more && response.recovering)]
    }

    /// A page must be for this node, from the pinned hub, signed by its key, and every event must
    /// match its hash; otherwise nothing of it is stored.
    public func check(_ page: PullPage, since: Int) throws(HubClientError) {
        guard page.node == origin, page.since == since, page.to >= since else {
            throw .malformed("the page is for \(page.node) from \(page.since), not \(origin) from \(since)")
        }
        guard page.hub == link.hub, page.hubEpoch == link.hubEpoch, let key = try? VerifyingKey(hex: link.hubPublicKey) else {
            throw .malformed("the page is signed by \(page.hub) epoch \(page.hubEpoch), not the pinned hub \(link.hub) epoch \(link.hubEpoch); enrol again")
        }
        guard PageSignature.verify(page.summary, signature: page.signature, key: key) else {
            throw .malformed("the page's signature does not verify with the pinned hub key")
        }
        for entry in page.entries where !entry.event.hashIsValid {
            throw .malformed("position \(entry.position): \(entry.event.origin) seq \(entry.event.seq) does not match its hash")
        }
    }

    // MARK: Healing a fork

    /// Heals a fork (DESIGN §5) from this node's own events as the hub holds them from `fromSeq`
    /// (every page, up to the hub's head): the diverging branch moves to `forkedEvent`, the hub's
    /// events are taken back, the branch is re-appended after them in a new epoch.
    public func heal(_ own: OwnEvents, fromSeq: Int, started: Int64, wallMilliseconds: () -> UInt64, now: Int64) throws -> [SyncEngine.Result] {
        guard own.origin == origin else { throw HubClientError.malformed("the hub sent the events of \(own.origin), not \(origin)") }
        // The take-back starts after what the hub acknowledged; if the hub's history does not
        // attach to this node's there (a restored hub, or one that forgot a settled clone, holds
        // another event at that seq), the two parted earlier: take back from the first seq.
        if fromSeq > 1, !(try attaches(own, at: fromSeq)) {
            try database.recordAttempt(
                kind: "push", startedAt: started, endedAt: now, outcome: "rewind",
                detail: "the hub's events from seq \(fromSeq) do not continue this node's seq \(fromSeq - 1): taking back from seq 1")
            return [.rewind(fromSeq: 1)]
        }
        let report = try database.healFork(
            hubEvents: own.events, hubHead: (own.head.seq, own.head.hash), fromSeq: fromSeq, checkpoints: own.checkpoints, keys: own.keys,
            newEpoch: newEpoch(), key: key, wallMilliseconds: wallMilliseconds, now: now)
        let head = try database.head(origin: origin)?.seq ?? 0
        if let report {
            logger.warning(
                "fork healed: this machine's history diverged from the hub's (restored from a backup, or a copy of another machine)",
                metadata: [
                    "fork.divergedAt": "\(report.divergedAt)", "fork.branch": "\(report.branchEvents)", "fork.hubHead": "\(report.hubHead)",
                    "fork.recoded": "\(report.recoded.map { "\($0.from)→\($0.to)" }.joined(separator: ", "))",
                    "fork.epoch": "\(report.newEpoch)",
                ])
            try database.recordAttempt(kind: "push", startedAt: started, endedAt: now, outcome: "healed", detail: report.summary)
        }
        return [.healed(localHead: head, storedSeq: own.head.seq)]
    }

    /// Whether the hub's events from `fromSeq` (or, when it holds none there, its head) agree with
    /// this node's log just before `fromSeq`.
    func attaches(_ own: OwnEvents, at fromSeq: Int) throws -> Bool {
        if let first = own.events.first(where: { $0.seq == fromSeq }) {
            return first.prev == (try database.events(origin: origin, fromSeq: fromSeq - 1, limit: 1).first.map { $0.seq == fromSeq - 1 ? $0.hash : "" })
        }
        guard own.head.seq >= 1, own.head.seq < fromSeq else { return true }
        let mine = try database.events(origin: origin, fromSeq: own.head.seq, limit: 1).first
        return mine?.seq == own.head.seq && mine?.hash == own.head.hash
    }

    // MARK: Failures

    /// Records a failed attempt: `refused` when the hub answered no to the request itself (401, 403,
    /// 400: retrying will not help until a person acts), `cancelled` when a shutdown cut it short,
    /// `failed` otherwise (no answer, 5xx: the link or the hub is down).
    public func recordFailure(_ kind: String, started: Int64, now: Int64, error: HubClientError, cancelled: Bool = false) {
        if case .status(let code, let body) = error, (400..<500).contains(code), code != 408, code != 413, code != 429,
            body?.code != "hub-behind"
        {
            record(kind, started: started, now: now, outcome: "refused", detail: error.description)
        } else {
            record(kind, started: started, now: now, outcome: cancelled ? "cancelled" : "failed", detail: error.description)
        }
    }

    /// Records an attempt that failed here rather than at the hub (the database, a cancelled task).
    public func recordFailure(_ kind: String, started: Int64, now: Int64, detail: String, cancelled: Bool = false) {
        record(kind, started: started, now: now, outcome: cancelled ? "cancelled" : "failed", detail: detail)
    }

    func record(_ kind: String, started: Int64, now: Int64, outcome: String, detail: String) {
        do {
            try database.recordAttempt(kind: kind, startedAt: started, endedAt: now, outcome: outcome, detail: detail)
        } catch {
            logger.error("cannot record a sync attempt", metadata: ["error": "\(error)"])
        }
        logger.info("sync attempt \(outcome)", metadata: ["sync.kind": "\(kind)", "error": "\(detail)"])
    }
}
