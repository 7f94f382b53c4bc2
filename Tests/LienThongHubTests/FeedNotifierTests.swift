import LienThongHub
import LienThongTesting
import Synchronization
import Testing

/// Long-polls sleep on the store's notifier, not on a polling loop (issue 22): with a clock that
/// never moves, only a bump can wake them, and their condition is asked once per wake.
@Suite struct FeedNotifierTests {
    /// Counts the long-poll's checks of its condition and says when something has arrived.
    final class Feed: Sendable {
        let checks = Mutex(0)
        let arrived = Mutex(false)

        func stillEmpty() -> Bool {
            checks.withLock { $0 += 1 }
            return !arrived.withLock { $0 }
        }
    }

    @Test func aWaitingPullWakesWithin50msOfTheCommitThatBumpsItWithoutAClockTick() async throws {
        var latencies: [Duration] = []
        // Five pulls, one after the other: how soon each wakes depends on the machine's load too,
        // so the best of five is what the design allows; a poll or a timer would hold every one.
        for _ in 0..<5 {
            let notifier = FeedNotifier()
            let clock = ManualClock()
            let feed = Feed()
            let poll = Task { await notifier.longPoll(for: .seconds(25), clock: clock) { feed.stillEmpty() } }
            try await Eventually.poll(for: "the pull to wait", timeout: .seconds(60), interval: .milliseconds(1)) {
                notifier.waitingPulls == 1 && clock.sleepers == 1
            }
            // Waiting, it asks nothing: no timer wakes it while the clock stands still.
            try await Task.sleep(for: .milliseconds(100))
            #expect(feed.checks.withLock { $0 } == 1)

            feed.arrived.withLock { $0 = true }
            let committed = ContinuousClock.now
            notifier.bump()
            await poll.value
            latencies.append(ContinuousClock.now - committed)
            #expect(feed.checks.withLock { $0 } == 2)
            #expect(notifier.waitingPulls == 0)
            // Its deadline's sleep was cancelled with it.
            #expect(clock.sleepers == 0)
        }
        let best = try #require(latencies.min())
        #expect(best < .milliseconds(50), "woke \(latencies) after the bump")
    }

    @Test func aBumpThatChangesNothingForThisFeedPutsItBackToSleep() async throws {
        let notifier = FeedNotifier()
        let clock = ManualClock()
        let feed = Feed()
        let poll = Task { await notifier.longPoll(for: .seconds(25), clock: clock) { feed.stillEmpty() } }
        try await Eventually.poll(for: "the pull to wait", timeout: .seconds(60), interval: .milliseconds(1)) { clock.sleepers == 1 }
        notifier.bump()  // another node's feed grew
        try await Eventually.poll(for: "the pull to check once more", timeout: .seconds(60), interval: .milliseconds(1)) {
            feed.checks.withLock { $0 } == 2 && clock.sleepers == 1
        }
        #expect(notifier.waitingPulls == 1)
        // The deadline, on the injected clock: the pull answers (empty) when it passes.
        clock.advance(by: .seconds(25))
        await poll.value
        #expect(feed.checks.withLock { $0 } == 2)
        #expect(notifier.waitingPulls == 0)
    }

    @Test func aBumpBeforeTheWaitIsNotMissedAndCancellingEndsTheWait() async throws {
        let notifier = FeedNotifier()
        let clock = ManualClock()
        let generation = notifier.generation
        notifier.bump()
        // Waits after `generation`: already passed, so it returns at once, whatever the clock.
        #expect(await notifier.wait(after: generation, until: clock.now.advanced(by: .seconds(60)), clock: clock) == generation + 1)

        let waiting = Task { await notifier.wait(after: notifier.generation, until: clock.now.advanced(by: .seconds(60)), clock: clock) }
        try await Eventually.poll(for: "the wait to sleep", timeout: .seconds(60), interval: .milliseconds(1)) { clock.sleepers == 1 }
        waiting.cancel()
        #expect(await waiting.value == generation + 1)
        #expect(clock.sleepers == 0)
    }
}
