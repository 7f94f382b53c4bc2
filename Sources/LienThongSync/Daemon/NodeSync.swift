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
        now: @escaping @Sendable () -> Int64 = { WallClock.milliseconds() }
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

    /// The synchronous half: requests from the database, answers into it.
    public var core: NodeSyncCore { NodeSyncCore(database: database, key: key, origin: identity.origin, link: link, logger: logger) }

    public func perform(_ action: SyncEngine.Action) async -> [SyncEngine.Result] {
        switch action {
        case .push(let afterSeq, let limit): await push(afterSeq: afterSeq, limit: limit)
        case .pull(let since, let limit, let wait): await pull(since: since, limit: limit, wait: wait)
        case .takeBack(let fromSeq): await takeBack(fromSeq: fromSeq)
        case .returnHub(let recovery, let afterSeq, let limit): await returnHub(recovery: recovery, afterSeq: afterSeq, limit: limit)
        }
    }

    /// Gives a hub restored from a backup one page of its own events this node holds.
    func returnHub(recovery: Int, afterSeq: Int, limit: Int) async -> [SyncEngine.Result] {
        let started = now()
        let core = self.core
        defer { recordSkew() }
        do {
            let (request, through, more) = try core.returnRequest(recovery: recovery, afterSeq: afterSeq, limit: limit)
            let response = try await client.returnEvents(request)
            return try core.returned(response, request: request, throughSeq: through, more: more, started: started, now: now())
        } catch let error as HubClientError {
            core.recordFailure("push", started: started, now: now(), error: error, cancelled: Task.isCancelled)
            return [.returnFailed(error.failure)]
        } catch {
            core.recordFailure("push", started: started, now: now(), detail: String(describing: error), cancelled: Task.isCancelled)
            return [.returnFailed(.refused(String(describing: error)))]
        }
    }

    func push(afterSeq: Int, limit: Int) async -> [SyncEngine.Result] {
        let started = now()
        let core = self.core
        defer { recordSkew() }
        do {
            guard let request = try core.pushRequest(afterSeq: afterSeq, limit: limit, now: started) else { return [.nothingToPush] }
            if let head = try database.head(origin: identity.origin)?.seq { client.report(head: head) }
            let response = try await client.push(request)
            return try core.pushed(response, request: request, started: started, now: now())
        } catch let error as HubClientError {
            core.recordFailure("push", started: started, now: now(), error: error, cancelled: Task.isCancelled)
            return [.pushFailed(error.failure)]
        } catch {
            core.recordFailure("push", started: started, now: now(), detail: String(describing: error), cancelled: Task.isCancelled)
            return [.pushFailed(.unavailable(String(describing: error)))]
        }
    }

    func pull(since: Int, limit: Int, wait: Int) async -> [SyncEngine.Result] {
        let started = now()
        let core = self.core
        defer { recordSkew() }
        if let head = try? database.head(origin: identity.origin)?.seq { client.report(head: head) }
        do {
            let page = try await client.pull(since: since, limit: limit, wait: wait)
            return try core.pulled(page, since: since, started: started, now: now(), wallMilliseconds: { UInt64(max(0, now())) })
        } catch let error as HubClientError {
            core.recordFailure("pull", started: started, now: now(), error: error, cancelled: Task.isCancelled)
            return [.pullFailed(error.failure)]
        } catch {
            core.recordFailure("pull", started: started, now: now(), detail: String(describing: error), cancelled: Task.isCancelled)
            return [.pullFailed(.refused(String(describing: error)))]
        }
    }

    /// Takes back every own event the hub holds from `fromSeq` (page by page), then heals the fork
    /// in one transaction.
    func takeBack(fromSeq: Int) async -> [SyncEngine.Result] {
        let started = now()
        let core = self.core
        defer { recordSkew() }
        do {
            var own = try await client.own(fromSeq: fromSeq, limit: 500)
            while let last = own.events.last, last.seq < own.head.seq {
                let page = try await client.own(fromSeq: last.seq + 1, limit: 500)
                guard !page.events.isEmpty else { break }
                own.append(page)
            }
            return try core.heal(own, fromSeq: fromSeq, started: started, wallMilliseconds: { UInt64(max(0, now())) }, now: now())
        } catch let error as HubClientError {
            core.recordFailure("push", started: started, now: now(), error: error, cancelled: Task.isCancelled)
            return [.healFailed(error.failure)]
        } catch {
            core.recordFailure("push", started: started, now: now(), detail: String(describing: error), cancelled: Task.isCancelled)
            return [.healFailed(.refused(String(describing: error)))]
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
}
