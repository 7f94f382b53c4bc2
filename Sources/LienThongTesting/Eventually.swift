import Foundation

/// Waits on a condition, not a fixed sleep: polls `condition` every `interval` until it holds or
/// `timeout` passes.
public enum Eventually {
    public struct TimedOut: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Returns once `condition` is true; throws ``TimedOut`` naming `what` after `timeout`.
    public static func wait(
        for what: String, timeout: Duration = .seconds(120), interval: Duration = .milliseconds(20), _ condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out after \(timeout) waiting for \(what)") }
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
        }
    }

    /// The same for async tests: it sleeps with `Task.sleep`, so it never holds one of the few
    /// cooperative threads that an in-process hub under test needs to answer.
    public static func poll(
        for what: String, timeout: Duration = .seconds(120), interval: Duration = .milliseconds(20), _ condition: () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out after \(timeout) waiting for \(what)") }
            try await Task.sleep(for: interval)
        }
    }
}
