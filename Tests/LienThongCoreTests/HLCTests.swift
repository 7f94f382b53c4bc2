import LienThongCore
import LienThongTesting
import Testing

@Suite struct HLCTests {
    static let day: UInt64 = 24 * 3600 * 1000

    @Test func hexFormRoundTripsAndSortsLikeTime() throws {
        let a = HLC(physical: 1_795_000_000_000, counter: 7)
        let b = HLC(physical: 1_795_000_000_001, counter: 0)
        #expect(a.hex.count == 16)
        #expect(HLC(hex: a.hex) == a)
        #expect(a < b && a.hex < b.hex)
        #expect(HLC(hex: "01A1EE5661E80001") == nil)
        #expect(HLC(hex: "1a1ee5661e80001") == nil)
    }

    @Test func counterOverflowAdvancesTheMillisecond() {
        let last = HLC(physical: 1000, counter: .max)
        let next = HybridClock.tick(last: last, wallMilliseconds: 1000)
        #expect(next == HLC(physical: 1001, counter: 0))
        #expect(next > last)
        let merged = HybridClock.receive(remote: HLC(physical: 1000, counter: .max), last: HLC(physical: 999, counter: 0), wallMilliseconds: 1000)
        #expect(merged == .merged(HLC(physical: 1001, counter: 0)))
    }

    @Test func aRemoteClockADayAheadIsFlaggedNotMerged() {
        let wall: UInt64 = 1_795_000_000_000
        let last = HLC(physical: wall - 10, counter: 3)
        let remote = HLC(physical: wall + Self.day, counter: 0)
        let receipt = HybridClock.receive(remote: remote, last: last, wallMilliseconds: wall)
        #expect(receipt == .skewed(local: HLC(physical: wall, counter: 0), aheadMilliseconds: Self.day))
        #expect(receipt.local < remote)
        // Exactly five minutes ahead is still merged; one millisecond more is not.
        let edge = HLC(physical: wall + HybridClock.maxForwardSkewMilliseconds, counter: 0)
        #expect(HybridClock.receive(remote: edge, last: last, wallMilliseconds: wall) == .merged(edge.successor))
        let beyond = HLC(physical: wall + HybridClock.maxForwardSkewMilliseconds + 1, counter: 0)
        if case .merged = HybridClock.receive(remote: beyond, last: last, wallMilliseconds: wall) {
            Issue.record("a clock more than 5 minutes ahead was merged")
        }
    }

    /// Random local ticks and remote receipts, with a wall clock that jumps forward and back by up to
    /// a day and remote clocks up to a day off either way: every new timestamp is greater than the
    /// last; a merged one is greater than the remote; a flagged one really was > 5 minutes ahead and
    /// the clock did not jump to it.
    @Test(arguments: 0..<200)
    func monotonicUnderRandomLocalAndRemoteClocks(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var wall: UInt64 = 1_795_000_000_000
        var last = HLC.zero
        for _ in 0..<500 {
            switch UInt8.random(in: 0..<10, using: &random) {
            case 0: wall -= UInt64.random(in: 0...Self.day, using: &random)  // clock set back
            case 1: wall += UInt64.random(in: 0...Self.day, using: &random)
            default: wall += UInt64.random(in: 0...50, using: &random)
            }
            let next: HLC
            if Bool.random(using: &random) {
                next = HybridClock.tick(last: last, wallMilliseconds: wall)
                // A local tick follows the wall clock whenever the wall clock is ahead.
                if wall > last.physical { #expect(next == HLC(physical: wall, counter: 0)) }
            } else {
                let offset = Int64.random(in: -Int64(Self.day)...Int64(Self.day), using: &random)
                let remote = HLC(physical: UInt64(Int64(wall) + offset), counter: UInt16.random(in: 0...UInt16.max, using: &random))
                let receipt = HybridClock.receive(remote: remote, last: last, wallMilliseconds: wall)
                switch receipt {
                case .merged(let merged):
                    #expect(merged > remote)
                    #expect(remote.physical <= wall + HybridClock.maxForwardSkewMilliseconds)
                case .skewed(let local, let ahead):
                    #expect(remote.physical > wall + HybridClock.maxForwardSkewMilliseconds)
                    #expect(ahead == remote.physical - wall)
                    #expect(local == HybridClock.tick(last: last, wallMilliseconds: wall))
                }
                next = receipt.local
            }
            #expect(next > last, "seed \(seed): clock went from \(last) to \(next)")
            last = next
        }
    }

    /// Long runs in one millisecond: the counter overflows into the next millisecond and never wraps.
    @Test func staysMonotonicThroughManyOverflowsWithAFrozenWallClock() {
        let start = HLC(physical: 5000, counter: .max - 2)
        var last = start
        for _ in 0..<200_000 {
            let next = HybridClock.tick(last: last, wallMilliseconds: 5000)
            if next <= last { Issue.record("clock went from \(last) to \(next)") }
            last = next
        }
        // Each 65,536 ticks use one millisecond.
        #expect(last.physical == 5000 + (UInt64(start.counter) + 200_000) / 65_536)
        #expect(last.counter == UInt16((UInt64(start.counter) + 200_000) % 65_536))
    }
}
