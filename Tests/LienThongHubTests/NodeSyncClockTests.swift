import Foundation
import LienThongStore
import LienThongSync
import LienThongTesting
import Logging
import Testing

/// The node's sync loop keeps time by the clock it is given (issue 22): its ticks sleep on it and its
/// backoffs are read from the "now" that goes with it, so a test decides when it retries.
@Suite struct NodeSyncClockTests {
    @Test func theDaemonRetriesAFailedPushWhenItsInjectedClockSaysSoNotTheWall() async throws {
        let root = HubContractTests.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let hub = try await LiveHub.start(directory: root.appendingPathComponent("hub"))
        let node = try LiveNode(directory: root.appendingPathComponent("xa-23059"))
        let enrolled = try await node.enroll(with: hub)
        // The link is down: every push fails at once (connection refused).
        await hub.stop()
        try node.receive()

        let clock = ManualClock(startMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        var logger = Logger(label: "lienthong.test-node")
        logger.logLevel = .critical
        let sync = NodeSync(
            database: enrolled.database, client: enrolled.client, key: enrolled.key, identity: enrolled.identity, link: enrolled.link,
            logger: logger, now: { clock.unixMilliseconds })
        let daemon = Task { try await NodeSyncService(sync: sync, mode: .daemon, logger: logger, clock: clock).run() }
        defer { daemon.cancel() }
        func pushes() throws -> Int { try node.database.syncAttempts(limit: 100).filter { $0.kind == "push" }.count }

        try await Eventually.poll(for: "the first push to fail and the loop to wait for its tick") { try pushes() == 1 && clock.sleepers == 1 }
        // A tick on the injected clock, well inside the backoff (at least 500 ms after one failure):
        // the loop wakes, finds the push must wait, and sleeps again; the wall clock moves on meanwhile.
        clock.advance(by: .milliseconds(50))
        try await Eventually.poll(for: "the loop to sleep on its next tick") { clock.sleepers == 1 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try pushes() == 1)

        // Past the longest backoff on the injected clock: the push is tried again.
        clock.advance(by: .seconds(301))
        try await Eventually.poll(for: "the second push", timeout: .seconds(30)) { try pushes() == 2 }
        daemon.cancel()
        _ = await daemon.result
    }
}
