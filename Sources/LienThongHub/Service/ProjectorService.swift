import Foundation
import LienThongHTTP
import LienThongStore
import Logging
import ServiceLifecycle

/// The hub's projector (DESIGN §3, last bullet) as a service: it folds the dossiers touched by newly
/// stored events, each once per pass, so ingest acknowledges after the durable append and never
/// waits for a fold. Its lag (stored − projected positions) is what `hub status` reports.
public struct ProjectorService: Service {
    let store: any HubStore
    let logger: Logger
    /// The clock its waits and heartbeats run on, and the wall clock the heartbeat records.
    let clock: any Clock<Duration>
    let now: @Sendable () -> Int64
    /// Events per pass. Each pass is one write transaction, so it is kept small enough that pushes
    /// waiting for the write lock are not held behind a long catch-up (after a restart, a fold of
    /// every touched dossier in one transaction held pushes for seconds).
    let eventsPerPass: Int
    /// How often the hub's heartbeat is recorded (`hub status` says CRITICAL after three missed).
    let heartbeatMilliseconds: Int64
    /// After it has caught up, the least time before the next pass: commits arriving meanwhile
    /// are folded together, so a stream of small pushes is not answered by as many passes, each a
    /// write transaction competing with them for the lock.
    let gatherFor: Duration

    public init(
        store: any HubStore, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        now: @escaping @Sendable () -> Int64 = HubApplication.wallClock, eventsPerPass: Int = 200, heartbeatMilliseconds: Int64 = 5_000,
        gatherFor: Duration = .milliseconds(100)
    ) {
        self.store = store
        self.logger = logger
        self.clock = clock
        self.now = now
        self.eventsPerPass = eventsPerPass
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.gatherFor = gatherFor
    }

    public func run() async throws {
        let clock = self.clock
        await fold(on: clock)
    }

    /// Folds while there is something to fold; otherwise sleeps until the store's next commit
    /// (``HubStore/changes``) or the next heartbeat, whichever comes first.
    private func fold<C: Clock<Duration>>(on clock: C) async {
        let beatEvery = Duration.milliseconds(heartbeatMilliseconds)
        var nextBeat = clock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The projector's loop is the hub's pulse: if it stalls, the hub is not serving either.
            if clock.now >= nextBeat {
                let (store, interval, now) = (store, heartbeatMilliseconds, now)
                do {
                    try await offloaded {
                        try store.beat(now: now(), pid: ProcessInfo.processInfo.processIdentifier, intervalMs: interval)
                    }
                } catch {
                    logger.error("cannot record the hub's heartbeat", metadata: ["error": "\(error)"])
                }
                nextBeat = clock.now.advanced(by: beatEvery)
            }
            // Read before the pass: a commit during it wakes the wait below at once.
            let generation = store.changes.generation
            do {
                let (store, limit) = (store, eventsPerPass)
                let (events, _) = try await offloaded { try Self.project(store, limit: limit) }
                if events > 0 { continue }
            } catch {
                logger.error("projector failed", metadata: ["error": "\(error)"])
            }
            let caughtUp = clock.now
            let woken = await store.changes.wait(after: generation, until: nextBeat, clock: clock)
            // Woken by a commit: gather what follows it for a moment (never polling meanwhile).
            if woken != generation, clock.now < caughtUp.advanced(by: gatherFor) {
                try? await clock.sleep(until: caughtUp.advanced(by: gatherFor), tolerance: nil)
            }
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
