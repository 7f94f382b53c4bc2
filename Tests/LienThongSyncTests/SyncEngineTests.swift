import Foundation
import LienThongWire
import Testing

@testable import LienThongSync

/// The sync engine as the state machine it is: actions out, results in, time passed by hand.
@Suite struct SyncEngineTests {
    static func engine(localHead: Int = 0, storedSeq: Int = 0, pulled: Int = 0, seed: UInt64 = 7) -> SyncEngine {
        SyncEngine(localHead: localHead, storedSeq: storedSeq, pulled: pulled, seed: seed)
    }

    @Test func pushesWhatTheHubHasNotStoredAndPullsUntilCaughtUpThenLongPolls() {
        var engine = Self.engine(localHead: 250, storedSeq: 40, pulled: 3)
        #expect(engine.pending == 210)
        // The first pull of a run does not wait: it learns the feed's end and confirms contact.
        #expect(engine.next(now: 0) == [.push(afterSeq: 40, limit: 100), .pull(since: 3, limit: 500, wait: 0)])
        // One request per lane: nothing more while both are in flight.
        #expect(engine.next(now: 1).isEmpty)

        engine.handle(.pulled(to: 500, end: 1200), now: 2)
        #expect(engine.next(now: 2) == [.pull(since: 500, limit: 500, wait: 0)])
        engine.handle(.pulled(to: 1200, end: 1200), now: 3)
        #expect(engine.next(now: 3) == [.pull(since: 1200, limit: 500, wait: 25)])

        engine.handle(.pushed(outcome: .stored, storedSeq: 140, reason: nil, milliseconds: 300), now: 4)
        #expect(engine.storedSeq == 140)
        #expect(engine.next(now: 4) == [.push(afterSeq: 140, limit: 200)])
        engine.handle(.pushed(outcome: .duplicate, storedSeq: 250, reason: nil, milliseconds: 300), now: 5)
        #expect(engine.pending == 0)
        #expect(engine.next(now: 5).isEmpty)

        // A local write wakes the push lane.
        engine.handle(.localHead(seq: 251), now: 6)
        #expect(engine.next(now: 6) == [.push(afterSeq: 250, limit: 400)])
    }

    @Test func theBatchDoublesWhenFastStaysWhenSlowHalvesOnTimeoutOr413AndNeverPassesTheCap() throws {
        var engine = Self.engine(localHead: 100_000)
        engine.handle(.caps(HubCaps(maxEventsPerBatch: 300, maxBodyBytes: 1 << 20, maxInflatedBytes: 1 << 22, maxPullLimit: 500, maxWaitSeconds: 30)), now: 0)
        #expect(engine.batchSize == 100)

        _ = engine.next(now: 0)
        engine.handle(.pushed(outcome: .stored, storedSeq: 100, reason: nil, milliseconds: 1_999), now: 1)
        #expect(engine.batchSize == 200)
        _ = engine.next(now: 1)
        engine.handle(.pushed(outcome: .stored, storedSeq: 300, reason: nil, milliseconds: 100), now: 2)
        #expect(engine.batchSize == 300)  // 400, capped by the hub
        _ = engine.next(now: 2)
        engine.handle(.pushed(outcome: .stored, storedSeq: 600, reason: nil, milliseconds: 2_000), now: 3)
        #expect(engine.batchSize == 300)  // not fast: unchanged

        // 413: halve and retry at once.
        _ = engine.next(now: 3)
        engine.handle(.pushFailed(.tooLarge), now: 4)
        #expect(engine.batchSize == 150)
        #expect(engine.next(now: 4).contains(.push(afterSeq: 600, limit: 150)))
        // Timeout: halve, and wait out a backoff.
        engine.handle(.pushFailed(.timeout), now: 5)
        #expect(engine.batchSize == 75)
        #expect(!engine.next(now: 5).contains { if case .push = $0 { true } else { false } })
        let wake = try #require(engine.wakeUp(now: 5))
        #expect(wake > 5)
        #expect(engine.next(now: wake).contains(.push(afterSeq: 600, limit: 75)))
    }

    @Test func backoffIsCappedExponentialWithJitterAndRepeatsForASeed() {
        func delays(seed: UInt64) -> [Int64] {
            var engine = Self.engine(localHead: 10, seed: seed)
            var now: Int64 = 0
            var result: [Int64] = []
            for _ in 0..<14 {
                _ = engine.next(now: now)
                engine.handle(.pushFailed(.unavailable("connection refused")), now: now)
                let wake = engine.wakeUp(now: now) ?? now
                result.append(wake - now)
                now = wake
            }
            return result
        }
        let first = delays(seed: 1)
        let base = SyncEngine.Configuration().backoffBaseMilliseconds
        let cap = SyncEngine.Configuration().backoffCapMilliseconds
        for (index, delay) in first.enumerated() {
            let full = min(cap, base << Int64(index))
            #expect(delay >= full / 2 && delay < full, "failure \(index + 1): \(delay) ms outside [\(full / 2), \(full))")
        }
        #expect(first == delays(seed: 1))
        #expect(first != delays(seed: 2))
    }

    /// A clone: the hub holds its pushes until the operator acts; pulls go on.
    @Test func aSuspectedCloneTakesBackOnceThenAsksAgainEveryCapUntilTheOperatorSettlesIt() {
        var engine = Self.engine(localHead: 20, storedSeq: 10)
        _ = engine.next(now: 0)
        engine.handle(.pushed(outcome: .cloneSuspected, storedSeq: 12, reason: "seq 11 differs", milliseconds: 10), now: 1)
        engine.handle(.pulled(to: 0, end: 0), now: 1)
        #expect(engine.heldAsClone == "seq 11 differs")
        #expect(engine.blocked == nil)
        // First: take the hub's events back (a diverged clone heals into a new epoch).
        #expect(engine.next(now: 1) == [.takeBack(fromSeq: 11), .pull(since: 0, limit: 500, wait: 25)])
        engine.handle(.healed(localHead: 23, storedSeq: 12), now: 2)
        #expect(engine.next(now: 2) == [.push(afterSeq: 12, limit: 100)])
        // Held again: no second take-back; ask again once per backoff cap, pulls going on.
        engine.handle(.pushed(outcome: .cloneSuspected, storedSeq: 12, reason: "held", milliseconds: 10), now: 3)
        #expect(engine.next(now: 3).isEmpty)
        // Held, the hub holding more is no cue to take back (the other machine may have been kept).
        engine.handle(.hubHolds(seq: 40), now: 3)
        #expect(!engine.healing)
        let wake: Int64? = engine.wakeUp(now: 3)
        #expect(wake == 300_003)
        #expect(engine.next(now: 3 + 300_000) == [.push(afterSeq: 12, limit: 100)])
        // The operator kept this machine's epoch: stored, and the hold is over.
        engine.handle(.pushed(outcome: .stored, storedSeq: 23, reason: nil, milliseconds: 10), now: 300_004)
        #expect(engine.heldAsClone == nil)
        #expect(engine.pending == 0)
    }

    /// A suspicion closed with `--close-only` (both machines in one epoch), the other machine's
    /// events stored since: this machine's next push opens a new suspicion at another hub head — a
    /// first answer again, so it takes back and heals into an epoch of its own (simulator seeds
    /// 4200101 and 4200152: it waited for ever and the operator closed suspicion after suspicion).
    @Test func aNewSuspicionAtAnotherHubHeadTakesBackAgain() {
        var engine = Self.engine(localHead: 38, storedSeq: 30)
        _ = engine.next(now: 0)
        engine.handle(.pushed(outcome: .cloneSuspected, storedSeq: 30, reason: "suspicion 1", milliseconds: 10), now: 1)
        engine.handle(.pulled(to: 0, end: 0), now: 1)
        #expect(engine.next(now: 1) == [.takeBack(fromSeq: 31), .pull(since: 0, limit: 500, wait: 25)])
        engine.handle(.healed(localHead: 38, storedSeq: 30), now: 2)
        #expect(engine.next(now: 2) == [.push(afterSeq: 30, limit: 100)])
        engine.handle(.pushed(outcome: .cloneSuspected, storedSeq: 30, reason: "suspicion 1", milliseconds: 10), now: 3)
        #expect(engine.next(now: 3).isEmpty)
        #expect(engine.heldAtHead == 30)
        // Closed; the other machine's 31–39 entered the chain; this push diverges from them.
        #expect(engine.next(now: 300_003) == [.push(afterSeq: 30, limit: 100)])
        engine.handle(.pushed(outcome: .cloneSuspected, storedSeq: 39, reason: "suspicion 2", milliseconds: 10), now: 300_004)
        #expect(engine.healing)
        #expect(engine.next(now: 300_004) == [.takeBack(fromSeq: 31)])
        engine.handle(.healed(localHead: 47, storedSeq: 39), now: 300_005)
        #expect(engine.next(now: 300_005) == [.push(afterSeq: 39, limit: 100)])
        // Its new epoch is held under the same suspicion: now it waits for the operator.
        engine.handle(.pushed(outcome: .cloneSuspected, storedSeq: 39, reason: "suspicion 2", milliseconds: 10), now: 300_006)
        #expect(!engine.healing)
        #expect(engine.next(now: 300_006).isEmpty)
    }

    @Test func aFencedEpochStopsPushingButNotPulling() {
        var engine = Self.engine(localHead: 20, storedSeq: 10)
        _ = engine.next(now: 0)
        engine.handle(.pushed(outcome: .epochFenced, storedSeq: 12, reason: "fenced", milliseconds: 10), now: 1)
        engine.handle(.pulled(to: 0, end: 0), now: 1)
        #expect(engine.blocked?.outcome == .epochFenced)
        #expect(engine.blocked?.reason == "fenced")
        #expect(engine.next(now: 1) == [.pull(since: 0, limit: 500, wait: 25)])
        engine.handle(.localHead(seq: 21), now: 2)
        #expect(engine.wakeUp(now: 2) == nil)
    }

    @Test func aGapRepushesFromTheHubsHeadAndHubBehindResetsBothCursors() {
        var engine = Self.engine(localHead: 50, storedSeq: 30, pulled: 900)
        _ = engine.next(now: 0)
        engine.handle(.pushed(outcome: .gap, storedSeq: 20, reason: "hub holds up to 20", milliseconds: 5), now: 1)
        #expect(engine.next(now: 1).contains(.push(afterSeq: 20, limit: 100)))

        engine.handle(.pullFailed(.hubBehind(feedEnd: 700, storedSeq: 15)), now: 2)
        #expect(engine.pulled == 700)
        #expect(engine.storedSeq == 15)
        #expect(engine.next(now: 2) == [.pull(since: 700, limit: 500, wait: 25)])
    }

    @Test func aRefusedPullBacksOffWithoutHoldingThePushLane() throws {
        var engine = Self.engine(localHead: 5)
        _ = engine.next(now: 0)
        engine.handle(.pullFailed(.refused("401 unauthorized")), now: 1)
        #expect(engine.pullFailures == 1)
        engine.handle(.pushed(outcome: .stored, storedSeq: 5, reason: nil, milliseconds: 5), now: 1)
        engine.handle(.localHead(seq: 6), now: 2)
        #expect(engine.next(now: 2) == [.push(afterSeq: 5, limit: 200)])
        let wake = try #require(engine.wakeUp(now: 2))
        // After a failure the next pull does not wait either.
        #expect(engine.next(now: wake).contains(.pull(since: 0, limit: 500, wait: 0)))
        engine.handle(.pulled(to: 0, end: 0), now: wake)
        #expect(engine.pullFailures == 0)
    }
}

/// When the node writes the hub's clock skew down: most contacts must cost the database nothing.
@Suite struct HubClockSkewTests {
    @Test func theSkewIsRecordedFirstThenOnlyWhenItMovesOrGrowsOld() throws {
        let client = HubClient(baseURL: try #require(URL(string: "http://127.0.0.1:9")), credential: nil)
        let now: Int64 = 1_790_000_000_000
        #expect(client.skewToRecord(now: now) == nil)  // nothing measured yet
        client.observe(hubClock: now + 2_000, at: now)
        #expect(client.skewToRecord(now: now) == 2_000)
        client.observe(hubClock: now + 10_000 + 2_500, at: now + 10_000)
        #expect(client.skewToRecord(now: now + 10_000) == nil)  // moved by 500 ms
        client.observe(hubClock: now + 20_000 + 3_500, at: now + 20_000)
        #expect(client.skewToRecord(now: now + 20_000) == 3_500)  // moved by 1.5 s
        client.observe(hubClock: now + 400_000 + 3_500, at: now + 400_000)
        #expect(client.skewToRecord(now: now + 400_000) == 3_500)  // over 5 min since the last record
        client.observe(hubClock: Int64.min, at: now + 500_000)  // implausible: ignored, no trap
        #expect(client.skewToRecord(now: now + 500_000) == nil)
    }
}

/// Healing a fork from the engine's side (DESIGN §5).
@Suite struct SyncEngineHealingTests {
    @Test func aForkAnswerTakesTheNodesEventsBackThenPushingGoesOn() {
        var engine = SyncEngine(localHead: 12, storedSeq: 7, pulled: 0, seed: 1)
        #expect(engine.next(now: 0) == [.push(afterSeq: 7, limit: 100), .pull(since: 0, limit: 500, wait: 0)])
        engine.handle(.pushed(outcome: .fork, storedSeq: 40, reason: "restored", milliseconds: 10), now: 1)
        #expect(engine.blocked == nil)
        #expect(engine.healing)
        #expect(engine.next(now: 1) == [.takeBack(fromSeq: 8)])
        engine.handle(.healed(localHead: 45, storedSeq: 40), now: 2)
        #expect(!engine.healing)
        #expect(engine.pending == 5)
        #expect(engine.next(now: 2) == [.push(afterSeq: 40, limit: 100)])
    }

    @Test func theHubHoldingMoreThanTheNodeHasStartsATakeBack() {
        // A restored machine that wrote nothing: it learns from a pulled page, or from a duplicate.
        var engine = SyncEngine(localHead: 5, storedSeq: 5, pulled: 3, seed: 1)
        _ = engine.next(now: 0)
        engine.handle(.pulled(to: 3, end: 3), now: 1)
        engine.handle(.hubHolds(seq: 9), now: 1)
        #expect(engine.next(now: 1).contains(.takeBack(fromSeq: 6)))
        var duplicated = SyncEngine(localHead: 5, storedSeq: 3, pulled: 0, seed: 1)
        _ = duplicated.next(now: 0)
        duplicated.handle(.pushed(outcome: .duplicate, storedSeq: 9, reason: nil, milliseconds: 10), now: 1)
        #expect(duplicated.healing)
        #expect(duplicated.next(now: 1).contains(.takeBack(fromSeq: 6)))
        var started = SyncEngine(localHead: 5, storedSeq: 9, pulled: 0, seed: 1)
        #expect(started.healing)
        #expect(started.next(now: 0).contains(.takeBack(fromSeq: 6)))
        // A failed take-back backs off and tries again; clone-suspected takes back once too.
        started.handle(.healFailed(.unavailable("reset")), now: 0)
        #expect(started.next(now: 0).allSatisfy { if case .takeBack = $0 { false } else { true } })
        #expect(started.next(now: 10_000).contains(.takeBack(fromSeq: 6)))
        var clone = SyncEngine(localHead: 12, storedSeq: 7, pulled: 0, seed: 1)
        _ = clone.next(now: 0)
        clone.handle(.pushed(outcome: .cloneSuspected, storedSeq: 40, reason: "two machines", milliseconds: 10), now: 1)
        #expect(clone.blocked == nil)
        #expect(clone.heldAsClone == "two machines")
        #expect(clone.healing)
    }

    /// A take-back that finds the hub's history parted from this node's before the acknowledged
    /// head (the hub holds another event there) starts again from the seq it is told.
    @Test func aRewindTakesBackAgainFromTheGivenSeq() {
        var engine = SyncEngine(localHead: 60, storedSeq: 55, pulled: 0, seed: 1)
        _ = engine.next(now: 0)
        engine.handle(.pushed(outcome: .fork, storedSeq: 55, reason: nil, milliseconds: 10), now: 1)
        #expect(engine.next(now: 1).contains(.takeBack(fromSeq: 56)))
        engine.handle(.rewind(fromSeq: 1), now: 2)
        #expect(engine.next(now: 2).contains(.takeBack(fromSeq: 1)))
        engine.handle(.healed(localHead: 61, storedSeq: 55), now: 3)
        #expect(engine.healFrom == nil)
        #expect(engine.next(now: 3).contains(.push(afterSeq: 55, limit: 100)))
    }

    /// A hub restored from a backup says so on every page: the node returns the hub's events it
    /// holds, page by page on the push lane, once per recovery; a failed return backs off.
    @Test func aRecoveringHubGetsItsEventsBackOncePerRecovery() {
        var engine = SyncEngine(localHead: 5, storedSeq: 5, pulled: 3, seed: 1)
        _ = engine.next(now: 0)
        engine.handle(.pulled(to: 3, end: 3), now: 1)
        engine.handle(.hubRecovering(recovery: 7, hubHead: 40), now: 1)
        #expect(engine.next(now: 1).contains(.returnHub(recovery: 7, afterSeq: 40, limit: 100)))
        // Over the hub's caps: half as many at once.
        engine.handle(.returnFailed(.tooLarge), now: 1)
        #expect(engine.next(now: 1).contains(.returnHub(recovery: 7, afterSeq: 40, limit: 50)))
        engine.handle(.returnFailed(.unavailable("reset")), now: 2)
        #expect(engine.next(now: 2).allSatisfy { if case .returnHub = $0 { false } else { true } })
        let later = engine.wakeUp(now: 2) ?? 0
        #expect(later > 2)
        #expect(engine.next(now: later).contains(.returnHub(recovery: 7, afterSeq: 40, limit: 50)))
        engine.handle(.returned(recovery: 7, throughSeq: 90, more: true), now: later)
        #expect(engine.next(now: later).contains(.returnHub(recovery: 7, afterSeq: 90, limit: 50)))
        engine.handle(.returned(recovery: 7, throughSeq: 95, more: false), now: later)
        #expect(engine.returning == nil)
        // The same recovery again on the next page: nothing more to do; a new one asks again.
        engine.handle(.hubRecovering(recovery: 7, hubHead: 95), now: later)
        #expect(engine.returning == nil)
        engine.handle(.hubRecovering(recovery: 8, hubHead: 20), now: later)
        #expect(engine.next(now: later).contains(.returnHub(recovery: 8, afterSeq: 20, limit: 50)))
    }
}
