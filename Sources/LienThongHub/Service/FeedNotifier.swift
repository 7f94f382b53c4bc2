import NIOConcurrencyHelpers
import ServiceLifecycle

/// Wakes what waits for the hub's feeds to change: long-polling pulls and the projector. A store
/// bumps it after a commit that stored events or appended to a feed (``HubStore/changes``), in the
/// process that committed; a store shared with other processes also bumps it when it sees their
/// commits. Waiters sleep until a bump, their deadline on an injected clock, cancellation or a
/// graceful shutdown — never on a polling loop.
public final class FeedNotifier: Sendable {
    private struct State {
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits started but not yet suspended, and those of them already cancelled.
        var starting: Set<Int> = []
        var cancelled: Set<Int> = []
        var nextID = 0
        var waitingPulls = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// How many times it was bumped.
    public var generation: Int { state.withLockedValue { $0.generation } }

    /// Pulls waiting now for their feed to grow.
    public var waitingPulls: Int { state.withLockedValue { $0.waitingPulls } }

    /// Something changed: wakes every waiter.
    public func bump() {
        let waiters = state.withLockedValue { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Waits until the generation has passed `generation`, `deadline` has passed on `clock`, the
    /// task is cancelled or the service group shuts down gracefully.
    /// - Returns: the generation when it woke.
    @discardableResult
    public func wait<C: Clock>(after generation: Int, until deadline: C.Instant, clock: C) async -> Int {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.bumped(after: generation) }
                group.addTask { try? await clock.sleep(until: deadline, tolerance: nil) }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.bump()
        }
        return self.generation
    }

    /// A long-poll: while `stillEmpty()` holds, waits for bumps, at most `timeout` on `clock`.
    /// `stillEmpty` is asked once at the start and once after each bump, never on a timer.
    public func longPoll<C: Clock>(for timeout: C.Duration, clock: C, while stillEmpty: () throws -> Bool) async rethrows {
        let deadline = clock.now.advanced(by: timeout)
        state.withLockedValue { $0.waitingPulls += 1 }
        defer { state.withLockedValue { $0.waitingPulls -= 1 } }
        // Read before the check, so a bump between the check and the wait is not missed.
        var generation = self.generation
        while clock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully, try stillEmpty() {
            generation = await wait(after: generation, until: deadline, clock: clock)
        }
    }

    /// Suspends until a bump after `generation` (or cancellation).
    private func bumped(after generation: Int) async {
        let id = state.withLockedValue { state in
            state.nextID += 1
            state.starting.insert(state.nextID)
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { state in
                    state.starting.remove(id)
                    if state.cancelled.remove(id) != nil || state.generation != generation { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if state.starting.contains(id) { state.cancelled.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }
}
