import Foundation
import LienThongCore
import LienThongTesting
import Testing

/// The fold's law: every replica with the same events computes the same state, whatever order and
/// however many times they arrived.
@Suite struct DossierConvergenceTests {
    static var histories: Int { ProcessInfo.processInfo.environment["LIENTHONG_HISTORIES"].flatMap(Int.init) ?? 1000 }
    static var baseSeed: UInt64 { ProcessInfo.processInfo.environment["LIENTHONG_SEED"].flatMap(UInt64.init) ?? 20_261_122 }

    @Test func anyDeliveryOrderWithDuplicatesFoldsToTheSameStateAndConflicts() {
        var counts: [String: [DossierState.Step.Result: Int]] = [:]
        var withConflict = 0
        var failures: [UInt64] = []
        for index in 0..<Self.histories {
            let seed = Self.baseSeed &+ UInt64(index)
            let history = HistoryGenerator.make(seed: seed)
            var random = SeededGenerator(seed: seed ^ 0x5eed)
            var conflicted = false
            for code in history.dossiers {
                let events = history.events.filter { $0.dossier == code }
                let reference = DossierFold.fold(code: code, events: events)
                if !reference.conflicts.isEmpty { conflicted = true }
                for step in reference.history { counts[step.type, default: [:]][step.result, default: 0] += 1 }
                for _ in 0..<5 {
                    var delivered = events.shuffled(using: &random)
                    delivered += events.filter { _ in random.next() % 4 == 0 }
                    delivered.shuffle(using: &random)
                    let state = DossierFold.fold(code: code, events: delivered)
                    if state.stateHash != reference.stateHash || Set(state.conflicts.map(\.id)) != Set(reference.conflicts.map(\.id)) {
                        failures.append(seed)
                    }
                }
            }
            if conflicted { withConflict += 1 }
        }
        let failing = Array(Set(failures)).sorted()
        #expect(failing.isEmpty, "diverging seeds (replay with LIENTHONG_SEED=<seed> LIENTHONG_HISTORIES=1): \(failing.prefix(10))")

        print("convergence: \(Self.histories) histories from seed \(Self.baseSeed), \(withConflict) with a conflict")
        print("  type                           applied  conflict  ignored  obsolete")
        for type in counts.keys.sorted() {
            let row = counts[type] ?? [:]
            let cells = [DossierState.Step.Result.applied, .conflict, .ignored, .obsolete].map {
                String(row[$0] ?? 0).padding(toLength: 9, withPad: " ", startingAt: 0)
            }
            print("  \(type.padding(toLength: 30, withPad: " ", startingAt: 0)) \(cells.joined())")
        }
        // Every row of the authority table is exercised: each type applied at least once, and
        // each owner-only or receiving-office-only type also refused at least once.
        for type in EventType.dossier.subtracting(["dossier.recoded"]).union(["conflict.resolved"]) {
            #expect((counts[type]?[.applied] ?? 0) > 0, "\(type) was never applied")
        }
        for type in [
            "dossier.handedOver", "dossier.forwarded", "dossier.accepted", "dossier.resolved", "dossier.returned", "dossier.withdrawn",
            "dossier.withdrawalRequested", "dossier.intakeUpdated",
        ] {
            #expect((counts[type]?[.conflict] ?? 0) > 0, "\(type) never became a conflict")
        }
        #expect(withConflict * 20 >= Self.histories, "only \(withConflict) of \(Self.histories) histories produced a conflict (need ≥ 5 %)")
    }
}
