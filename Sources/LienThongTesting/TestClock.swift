import Foundation
import LienThongCore

/// A wall clock for tests: returns `now` and moves only when told to.
public final class TestClock: @unchecked Sendable {
    // Safe: every access to `milliseconds` goes through `lock`.
    private let lock = NSLock()
    private var milliseconds: UInt64

    public init(milliseconds: UInt64 = 1_795_000_000_000) {
        self.milliseconds = milliseconds
    }

    /// The current time, Unix ms.
    public func now() -> UInt64 {
        lock.withLock { milliseconds }
    }

    /// Moves the clock by `delta` ms (negative moves it back, as a wrongly set PC does).
    public func advance(by delta: Int64) {
        lock.withLock { milliseconds = UInt64(Int64(milliseconds) + delta) }
    }

    public func set(_ value: UInt64) {
        lock.withLock { milliseconds = value }
    }
}
