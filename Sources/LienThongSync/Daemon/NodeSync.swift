import Foundation
import LienThongCore
import LienThongStore
import LienThongWire
import Logging
import ServiceLifecycle

/// Carries out the engine's actions against the node's database and the hub: the I/O half of the
/// sync loop. Every attempt is recorded in the database (DESIGN §7).
public struct NodeSync: Sendable {
    public let database: NodeDatabase
    public let client: HubClient
    public let key: SigningKey
    public let identity: LocalIdentity
    public let link: HubLink
    let logger: Logger
    let now: @Sendable () -> Int64

    public init(
        database: NodeDatabase, client: HubClient, key: SigningKey, identity: LocalIdentity, link: HubLink, logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.database = database
        self.client = client
        self.key = key
        self.identity = identity
        self.link = link
        self.logger = logger
        self.now = now
    }

    /// A fresh engine from the stored cursors.
    public func makeEngine(configuration: SyncEngine.Configuration = SyncEngine.Configuration()) throws(StoreError) -> SyncEngine {
        let cursor = try database.syncCursor()
        let head = try database.head(origin: identity.origin)?.seq ?? 0
        return SyncEngine(
            localHead: head, storedSeq: cursor.storedSeq, pulled: cursor.pulled, seed: UInt64.random(in: .min ... .max),
            configuration: configuration)
    }

    public func perform(_ action: SyncEngine.Action) async -> [SyncEngine.Result] {
        switch action {
        case .push(let afterSeq, let limit): await push(afterSeq: afterSeq, limit: limit)
        case .pull(let since, let limit, let wait): await pull(since: since, limit: limit, wait: wait)
        }
    }

    func push(afterSeq: Int, limit: Int) async -> [SyncEngine.Result] {
        let started = now()
        defer { recordSkew() }
        do {
            guard let (events, checkpoint) = try database.pendingBatch(afterSeq: afterSeq, limit: limit, key: key) else { return [.nothingToPush] }
            if let head = try database.head(origin: identity.origin)?.seq { client.report(head: head) }
            let request = PushRequest(node: identity.origin, batches: [PushBatch(events: events, checkpoint: checkpoint)])
            let response = try await client.push(request)
            guard let result = response.results.first(where: { $0.origin == identity.origin }) else {
                throw HubClientError.malformed("no result for \(identity.origin)")
            }
            if [.stored, .duplicate, .gap].contains(result.outcome) {
                try database.recordStored(seq: result.head.seq, hash: result.head.hash, now: now())
            }
            let detail = "seqs \(events.first?.seq ?? 0)–\(checkpoint.seq): stored \(result.stored), hub head \(result.head.seq)"
                + (result.reason.map { "; \($0)" } ?? "")
            try database.recordAttempt(kind: "push", startedAt: started, endedAt: now(), outcome: result.outcome.rawValue, detail: detail)
            if result.outcome != .stored && result.outcome != .duplicate {
                logger.warning("push not stored", metadata: ["push.outcome": "\(result.outcome.rawValue)", "push.reason": "\(result.reason ?? "")"])
            }
            return [
                .caps(response.caps),
                .pushed(outcome: result.outcome, storedSeq: result.head.seq, reason: result.reason, milliseconds: now() - started),
            ]
        } catch let error as HubClientError {
            record("push", started: started, error: error)
            return [.pushFailed(error.failure)]
        } catch {
            record("push", started: started, error: String(describing: error))
            return [.pushFailed(.unavailable(String(describing: error)))]
        }
    }

    func pull(since: Int, limit: Int, wait: Int) async -> [SyncEngine.Result] {
        let started = now()
        defer { recordSkew() }
        if let head = try? database.head(origin: identity.origin)?.seq { client.report(head: head) }
        do {
            let page = try await client.pull(since: since, limit: limit, wait: wait)
            try check(page, since: since)
            let added = try database.storePulled(
                PulledPage(
                    since: page.since, to: page.to, end: page.end, hub: page.hub, hubEpoch: page.hubEpoch, signature: page.signature,
                    entries: page.entries.map { ($0.position, $0.event) }),
                wallMilliseconds: { UInt64(max(0, now())) }, now: now())
            if !page.entries.isEmpty {
                try database.recordAttempt(
                    kind: "pull", startedAt: started, endedAt: now(), outcome: "stored",
                    detail: "positions \(page.since + 1)–\(page.to) of \(page.end): \(added ?? 0) new events")
            }
            return [.pulled(to: page.to, end: page.end)]
        } catch let error as HubClientError {
            record("pull", started: started, error: error)
            return [.pullFailed(error.failure)]
        } catch {
            record("pull", started: started, error: String(describing: error))
            return [.pullFailed(.refused(String(describing: error)))]
        }
    }

    /// A page must be for this node, from the pinned hub, signed by its key, and every event must
    /// match its hash; otherwise nothing of it is stored.
    func check(_ page: PullPage, since: Int) throws(HubClientError) {
        guard page.node == identity.origin, page.since == since, page.to >= since else {
            throw .malformed("the page is for \(page.node) from \(page.since), not \(identity.origin) from \(since)")
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

    /// Keeps the hub's clock skew as measured at the last answer (status warns past a threshold).
    func recordSkew() {
        guard let skew = client.skewToRecord(now: now()) else { return }
        do {
            try database.recordHubSkew(milliseconds: skew, now: now())
        } catch {
            logger.error("cannot record the hub's clock skew", metadata: ["error": "\(error)"])
        }
    }

    /// Records a failed attempt: `refused` when the hub answered no to the request itself (401, 403,
    /// 400: retrying will not help until a person acts), `cancelled` when a shutdown cut it short,
    /// `failed` otherwise (no answer, 5xx: the link or the hub is down).
    func record(_ kind: String, started: Int64, error: HubClientError) {
        if case .status(let code, let body) = error, (400..<500).contains(code), code != 408, code != 413, code != 429,
            body?.code != "hub-behind"
        {
            record(kind, started: started, outcome: "refused", detail: error.description)
        } else {
            record(kind, started: started, error: error.description)
        }
    }

    func record(_ kind: String, started: Int64, error: String) {
        record(kind, started: started, outcome: Task.isCancelled ? "cancelled" : "failed", detail: error)
    }

    func record(_ kind: String, started: Int64, outcome: String, detail: String) {
        do {
            try database.recordAttempt(kind: kind, startedAt: started, endedAt: now(), outcome: outcome, detail: detail)
        } catch {
            logger.error("cannot record a sync attempt", metadata: ["error": "\(error)"])
        }
        logger.info("sync attempt \(outcome)", metadata: ["sync.kind": "\(kind)", "error": "\(detail)"])
    }
}
