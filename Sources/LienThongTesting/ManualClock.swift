import Synchronization

/// A `Clock` that moves only when a test advances it: a sleeper wakes when the clock reaches its
/// deadline, or is cancelled. A waiter that wakes while this clock stands still was woken by
/// something else — what a test of a notifier needs to know.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: (deadline: Instant, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    /// The Unix time, in milliseconds, at which this clock started.
    public let startMilliseconds: Int64

    public init(startMilliseconds: Int64 = 1_796_083_200_000) {
        self.startMilliseconds = startMilliseconds
    }

    public var now: Instant { state.withLock { $0.now } }

    /// The "now" source that goes with this clock: Unix milliseconds, moving only when it moves.
    public var unixMilliseconds: Int64 {
        let offset = now.offset.components
        return startMilliseconds + offset.seconds * 1000 + offset.attoseconds / 1_000_000_000_000_000
    }
    public var minimumResolution: Duration { .zero }

    /// Sleepers waiting now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let due = state.withLock { state in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = (deadline, continuation)
                    return false
                }
                if due { Task.isCancelled ? continuation.resume(throwing: CancellationError()) : continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on by `duration`, waking the sleepers whose deadline it reaches.
    public func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
