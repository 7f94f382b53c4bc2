import Foundation
import LienThongStore
import Logging
import ServiceLifecycle

/// The hub's projector (DESIGN §3, last bullet) as a service: it folds the dossiers touched by newly
/// stored events, each once per pass, so ingest acknowledges after the durable append and never
/// waits for a fold. Its lag (stored − projected positions) is what `hub status` reports.
public struct ProjectorService: Service {
    let store: any HubStore
    let logger: Logger
    let interval: Duration
    /// Events per pass. Each pass is one write transaction, so it is kept small enough that pushes
    /// waiting for the write lock are not held behind a long catch-up (after a restart, a fold of
    /// every touched dossier in one transaction held pushes for seconds).
    let eventsPerPass: Int
    /// How often the hub's heartbeat is recorded (`hub status` says CRITICAL after three missed).
    let heartbeatMilliseconds: Int64

    public init(
        store: any HubStore, logger: Logger, interval: Duration = .milliseconds(100), eventsPerPass: Int = 200,
        heartbeatMilliseconds: Int64 = 5_000
    ) {
        self.store = store
        self.logger = logger
        self.interval = interval
        self.eventsPerPass = eventsPerPass
        self.heartbeatMilliseconds = heartbeatMilliseconds
    }

    public func run() async throws {
        let clock = ContinuousClock()
        var lastBeat: ContinuousClock.Instant?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The projector's loop is the hub's pulse: if it stalls, the hub is not serving either.
            if lastBeat.map({ clock.now - $0 >= .milliseconds(heartbeatMilliseconds) }) ?? true {
                let (store, interval) = (store, heartbeatMilliseconds)
                do {
                    try await HubApplication.offloaded {
                        try store.beat(now: HubApplication.wallClock(), pid: ProcessInfo.processInfo.processIdentifier, intervalMs: interval)
                    }
                } catch {
                    logger.error("cannot record the hub's heartbeat", metadata: ["error": "\(error)"])
                }
                lastBeat = clock.now
            }
            do {
                let (store, limit) = (store, eventsPerPass)
                let (events, _) = try await HubApplication.offloaded { try Self.project(store, limit: limit) }
                if events > 0 { continue }
            } catch {
                logger.error("projector failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

extension ProjectorService {
    /// One pass of the projector's policy (DESIGN §3, last bullet): folds the dossiers touched by
    /// up to `limit` stored events after the projector's position — each dossier once, from its
    /// not-quarantined events — and advances the position, in one transaction.
    /// - Returns: the number of events passed and of dossiers refolded.
    @discardableResult
    public static func project(_ store: any HubStore, limit: Int = 5_000) throws(StoreError) -> (events: Int, dossiers: Int) {
        try store.transaction("project stored events") { transaction in
            let stored = try transaction.stored(after: try transaction.projectorPosition(), limit: limit)
            guard let last = stored.last?.position else { return (0, 0) }
            var dossiers: [String] = []
            var seen: Set<String> = []
            for (_, dossier) in stored {
                if let code = dossier, seen.insert(code).inserted { dossiers.append(code) }
            }
            for code in dossiers {
                let visible = try transaction.visibleEvents(ofDossier: code).map(\.event)
                if visible.isEmpty { continue }
                _ = try transaction.refreshProjection(dossier: code, events: visible)
            }
            try transaction.setProjectorPosition(last)
            return (stored.count, dossiers.count)
        }
    }
}
