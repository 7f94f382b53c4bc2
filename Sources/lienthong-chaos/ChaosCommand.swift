import ArgumentParser
import Foundation
import LienThongCore
import LienThongTesting

/// `lienthong-chaos`: fault scenarios with real `lienthong` processes on loopback (issue 8). Each
/// scenario injects its fault, checks the invariants — nothing saved at a node or stored at the hub
/// lost, nothing duplicated, chains verify, `PRAGMA integrity_check` ok, replicas at one state hash
/// — and prints one line of figures. Then its control run switches the protection off (a planted
/// bug, compiled into debug builds only) and must fail: proof that the fault really happened.
@main
struct ChaosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lienthong-chaos", abstract: "Fault scenarios with real lienthong processes, each with a control run that must fail (issue 8).")

    @Flag(help: "Reduced sizes (what CI runs).") var quick = false
    @Option(help: "Only these scenarios, comma-separated, by number or name (\(Scenario.all.map { "\($0.number) \($0.name)" }.joined(separator: ", "))).")
    var only: String?
    @Flag(help: "Skip the control runs.") var noControl = false
    @Option(help: "A seed for the random moments (default: from the clock, printed).") var seed: UInt64?

    func run() throws {
        #if !DEBUG
            print("note: a release build has no planted bugs; the control runs are skipped")
        #endif
        let seed = seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        print("seed \(seed) (repeat a run with --seed \(seed))")
        let wanted = only.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let scenarios = Scenario.all.filter { scenario in wanted.map { $0.contains(String(scenario.number)) || $0.contains(scenario.name) } ?? true }
        guard !scenarios.isEmpty else { throw ValidationError("--only: no scenario named \(only ?? ""); expected numbers or names of \(Scenario.all.map(\.name))") }
        var failures: [String] = []
        for scenario in scenarios {
            print("== \(scenario.number) \(scenario.name): \(scenario.summary)")
            var random = SeededGenerator(seed: seed &+ UInt64(scenario.number))
            do {
                let figures = try scenario.run(Scenario.Options(quick: quick, control: nil), &random)
                print("  ok: \(figures)")
            } catch {
                print("  FAIL: \(error)")
                failures.append("\(scenario.name): \(error)")
            }
            #if DEBUG
                if !noControl, let bug = scenario.control {
                    print("  control run: planted bug \(bug.rawValue) (\(scenario.controlMeaning)); it must fail")
                    var random = SeededGenerator(seed: seed &+ UInt64(scenario.number) &+ 1000)
                    do {
                        let figures = try scenario.run(Scenario.Options(quick: quick, control: bug), &random)
                        print("  CONTROL PASSED, which it must not: \(figures)")
                        failures.append("\(scenario.name): the control run with \(bug.rawValue) passed")
                    } catch {
                        print("  control failed, as it must: \(error)")
                    }
                }
            #endif
        }
        print("== summary: \(scenarios.count - Set(failures.map { $0.prefix { $0 != ":" } }).count) of \(scenarios.count) scenarios passed")
        for failure in failures { print("  FAIL \(failure)") }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

/// One fault scenario: its run (which throws ``Violation`` when an invariant breaks) and the
/// planted bug of its control run.
struct Scenario: Sendable {
    struct Options {
        var quick: Bool
        /// The planted bug switched on in the processes, for the control run.
        var control: PlantedBug?

        /// The environment that switches it on.
        var environment: [String: String] { control.map { [PlantedBug.environmentVariable: $0.rawValue] } ?? [:] }
    }

    var number: Int
    var name: String
    var summary: String
    var control: PlantedBug?
    var controlMeaning: String
    var run: @Sendable (Options, inout SeededGenerator) throws -> String

    static let all: [Scenario] = [NodeKill.scenario, HubKill.scenario, Ambiguous.scenario]
}

/// An invariant that does not hold (or a run that could not finish).
struct Violation: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
