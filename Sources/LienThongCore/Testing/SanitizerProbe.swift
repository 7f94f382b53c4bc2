import Foundation

/// Proof that the sanitizer builds (Scripts/sanitizers.sh) catch what they are for: with the planted
/// bug `asan-heap-overflow` or `tsan-data-race` switched on (debug builds only), ``run()`` does the
/// bad thing on purpose, and the sanitizer must stop the process with its report. Switched off, it
/// does the same work correctly and returns the same figure, which the ordinary test checks.
public enum SanitizerProbe {
    /// The sum of 1…8 through a heap buffer, and a count incremented 10,000 times by each of two
    /// threads: 36 + 20,000.
    public static func run() -> Int {
        let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { buffer.deallocate() }
        for index in 0..<8 { buffer[index] = index + 1 }
        // One past the end when planted: a heap-buffer-overflow read for AddressSanitizer.
        let count = PlantedBug.asanHeapOverflow.isActive ? 9 : 8
        var sum = 0
        for index in 0..<count { sum += buffer[index] }
        if count == 9 { sum -= buffer[8] }  // the value read past the end is not counted

        // Two threads of their own: two blocks on Dispatch's pool may run one after the other on
        // the same worker thread, which is no race at all (ThreadSanitizer stayed silent so).
        let counter = Counter()
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<2 {
            Thread {
                for _ in 0..<10_000 { counter.increment(racing: PlantedBug.tsanDataRace.isActive) }
                done.signal()
            }.start()
        }
        done.wait()
        done.wait()
        return sum + counter.value
    }

    /// A counter behind a lock; with `racing`, written without it (a data race for ThreadSanitizer,
    /// which may also lose increments).
    final class Counter: @unchecked Sendable {
        // Safe: `count` is touched under `lock`, except in the planted race.
        private let lock = NSLock()
        private var count = 0

        func increment(racing: Bool) {
            if racing {
                count += 1
            } else {
                lock.withLock { count += 1 }
            }
        }

        var value: Int { lock.withLock { count } }
    }
}
