import Foundation

/// The machine's wall clock in Unix ms: where a process reads "now" for what it writes (an
/// event's hlc, `receivedAt`, a heartbeat, a sync attempt). The fold never reads it (DESIGN §3).
///
/// In debug builds `LIENTHONG_DEBUG_CLOCK_OFFSET_MS` moves it by that many milliseconds, read once
/// at start: the end-to-end tests put every process they start at a date of their choosing
/// (`TestDate`, Docs/testing.md), the way `LIENTHONG_PLANTED_BUG` switches planted bugs. Release
/// builds ignore it. Monotonic time (timeouts, backoff) is not moved.
public enum WallClock {
    /// The environment variable of the debug-build offset.
    public static let offsetVariable = "LIENTHONG_DEBUG_CLOCK_OFFSET_MS"

    #if DEBUG
        /// The offset added to the machine's clock (0 unless a debug build was given one).
        public static let offsetMilliseconds: Int64 = ProcessInfo.processInfo.environment[offsetVariable].flatMap { Int64($0) } ?? 0
    #else
        /// The offset added to the machine's clock: always 0 in a release build.
        public static let offsetMilliseconds: Int64 = 0
    #endif

    /// Now, Unix ms.
    public static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) + offsetMilliseconds }
}
