import Foundation
import LienThongCore
import LienThongStore
import LienThongWire
import Logging
import ServiceLifecycle

/// `lienthong node run`'s sync loop as a swift-service-lifecycle `Service`: it runs the engine,
/// performs its actions (push and pull concurrently), notices local writes by reading the log's
/// head at every tick, and beats a heartbeat. Graceful shutdown cancels requests in flight; whatever was
/// stored stays stored, and what was not is pushed or pulled again next time.
public final class NodeSyncService: Service {
    public enum Mode: Sendable {
        /// Run until shut down.
        case daemon
        /// Push everything, pull everything, then return (`lienthong node sync`); a failure throws.
        case once
    }

    let sync: NodeSync
    let mode: Mode
    let logger: Logger
    /// How often local writes and the heartbeat are checked. A write waits up to one tick before
    /// its push starts (the benchmark's commune-to-hub latency is about a tick plus the push).
    let tick: Duration
    let heartbeatMilliseconds: Int64
    /// What the ticks sleep on. Backoffs and deadlines are read from ``NodeSync``'s `now`; a test
    /// that moves both (LienThongTesting's `ManualClock`) decides when the loop wakes and what time it finds.
    let clock: any Clock<Duration>

    public init(
        sync: NodeSync, mode: Mode = .daemon, logger: Logger, tick: Duration = .milliseconds(50), heartbeatMilliseconds: Int64 = 5_000,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.sync = sync
        self.mode = mode
        self.logger = logger
        self.tick = tick
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.clock = clock
    }

    enum Outcome: Sendable {
        case results([SyncEngine.Result])
        case tick
    }

    public func run() async throws {
        let (engine, failure) = try await cancelWhenGracefulShutdown { try await self.loop() }
        if mode == .once {
            if let blocked = engine.blocked { throw NodeSyncError.blocked(outcome: blocked.outcome, reason: blocked.reason) }
            if let held = engine.heldAsClone { throw NodeSyncError.blocked(outcome: .cloneSuspected, reason: held) }
            if let failure { throw NodeSyncError.failed(failure) }
        }
    }

    /// The loop: start what the engine says, then wait for a result or the next tick.
    func loop() async throws -> (SyncEngine, SyncEngine.Failure?) {
        var configuration = SyncEngine.Configuration()
        if mode == .once { configuration.longPollSeconds = 0 }
        var engine = try sync.makeEngine(configuration: configuration)
        let database = sync.database
        let origin = sync.identity.origin
        let now = sync.now
        // The log's head as last told to the engine. Read at every tick (one indexed read), it
        // sees every writer: the CLI in another process, and the local API in this one, whose
        // commits on the shared connection SQLite's `data_version` would not show.
        // Starts from the head the engine read, so a write committed between that read and this
        // line is still noticed at the first tick.
        var head = engine.localHead
        var lastBeat: Int64 = 0
        var failure: SyncEngine.Failure?
        // Once mode ends after a pull that found nothing new: its `since` tells the hub that
        // everything before it is stored here (delivered), so the hub's record is exact too.
        var confirmed = false
        await withTaskGroup(of: Outcome.self) { group in
            var ticking = false
            while !Task.isCancelled {
                if mode == .daemon, now() - lastBeat >= heartbeatMilliseconds {
                    try? database.beat(now: now(), pid: ProcessInfo.processInfo.processIdentifier, intervalMs: heartbeatMilliseconds)
                    lastBeat = now()
                }
                // Once: stop when both lanes are idle and either something failed or nothing is
                // pending and a pull from the feed's end came back empty.
                if mode == .once, !engine.pushInFlight, !engine.pullInFlight,
                    engine.blocked != nil || failure != nil
                        // Held as a suspected clone after taking back once: it waits for the hub's operator.
                        || (engine.heldAsClone != nil && !engine.healing && engine.pushNotBefore > now())
                        || (confirmed && engine.pending == 0 && !engine.healing && engine.returning == nil && engine.pulled >= engine.feedEnd)
                {
                    break
                }
                for action in engine.next(now: now()) {
                    let sync = self.sync
                    group.addTask { .results(await sync.perform(action)) }
                }
                if !ticking {
                    ticking = true
                    let tick = self.tick
                    let clock = self.clock
                    group.addTask {
                        try? await clock.sleep(for: tick)
                        return .tick
                    }
                }
                guard let outcome = await group.next() else { break }
                switch outcome {
                case .tick:
                    ticking = false
                    if let current = try? database.head(origin: origin)?.seq, current != head {
                        head = current
                        engine.handle(.localHead(seq: current), now: now())
                    }
                case .results(let results):
                    for result in results {
                        if case .pulled(let to, _) = result { confirmed = to == engine.pulled }
                        engine.handle(result, now: now())
                        if mode == .once {
                            // A 413 halves the batch and a hub-behind resets the cursors: both retry at once.
                            if case .pushFailed(let error) = result, error != .tooLarge, !error.isHubBehind { failure = error }
                            if case .pullFailed(let error) = result, !error.isHubBehind { failure = error }
                            if case .returnFailed(let error) = result { failure = error }
                        }
                    }
                }
            }
            group.cancelAll()
        }
        return (engine, failure)
    }
}

/// Why `lienthong node sync` stopped short.
public enum NodeSyncError: Error, Sendable, CustomStringConvertible {
    case blocked(outcome: PushOutcome, reason: String)
    case failed(SyncEngine.Failure)

    public var description: String {
        switch self {
        case .blocked(let outcome, let reason): "the hub answered \(outcome.rawValue): \(reason)"
        case .failed(let failure): "sync failed: \(failure)"
        }
    }
}
