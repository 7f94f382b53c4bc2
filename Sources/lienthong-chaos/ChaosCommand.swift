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
            say("note: a release build has no planted bugs; the control runs are skipped")
        #endif
        let seed = seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        say("seed \(seed) (repeat a run with --seed \(seed))")
        let wanted = only.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let scenarios = Scenario.all.filter { scenario in wanted.map { $0.contains(String(scenario.number)) || $0.contains(scenario.name) } ?? true }
        guard !scenarios.isEmpty else {
            throw ValidationError("--only: no scenario named \(only ?? ""); expected numbers or names of \(Scenario.all.map(\.name))")
        }
        var failures: [String] = []
        for scenario in scenarios {
            say("== \(scenario.number) \(scenario.name): \(scenario.summary)")
            var random = SeededGenerator(seed: seed &+ UInt64(scenario.number))
            do {
                let figures = try watched(scenario.name) { try scenario.run(Scenario.Options(quick: quick, control: nil), &random) }
                say("  ok: \(figures)")
            } catch {
                say("  FAIL: \(error)")
                failures.append("\(scenario.name): \(error)")
            }
            #if DEBUG
                if !noControl, let bug = scenario.control {
                    say("  control run: planted bug \(bug.rawValue) (\(scenario.controlMeaning)); it must fail")
                    var random = SeededGenerator(seed: seed &+ UInt64(scenario.number) &+ 1000)
                    do {
                        let figures = try watched("the control run of \(scenario.name)") {
                            try scenario.run(Scenario.Options(quick: quick, control: bug), &random)
                        }
                        say("  CONTROL PASSED, which it must not: \(figures)")
                        failures.append("\(scenario.name): the control run with \(bug.rawValue) passed")
                    } catch let violation as Violation where violation.kind == scenario.controlKind {
                        say("  control failed, as it must (\(violation.kind)): \(violation)")
                    } catch {
                        // Any other failure proves nothing about the protection.
                        say("  CONTROL FAILED FOR ANOTHER REASON than \(scenario.controlKind): \(error)")
                        failures.append("\(scenario.name): the control run failed for another reason: \(error)")
                    }
                }
            #endif
        }
        say("== summary: \(scenarios.count - Set(failures.map { $0.prefix { $0 != ":" } }).count) of \(scenarios.count) scenarios passed")
        for failure in failures { say("  FAIL \(failure)") }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    /// Runs `work` under a watchdog: one that hangs stops the whole run (its processes killed by
    /// pid) instead of CI. Each run, normal or control, has its own limit.
    func watched<T>(_ name: String, _ work: () throws -> T) throws -> T {
        let limit = quick ? 600 : 3_600
        let watchdog = DispatchWorkItem {
            say("  FAIL: \(name) ran past \(limit) s; stopping its processes")
            CLIProcess.killAll()
            Foundation.exit(1)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(limit), execute: watchdog)
        defer { watchdog.cancel() }
        return try work()
    }
}

/// One fault scenario: its run (which throws ``Violation`` when an invariant breaks) and the
/// planted bug of its control run.
struct Scenario: Sendable {
    struct Options {
        var quick: Bool
        /// The planted bug switched on in the processes, for the control run.
        var control: PlantedBug?

        /// The environment that switches it on (and off, whatever the caller's shell holds).
        var environment: [String: String] { [PlantedBug.environmentVariable: control?.rawValue ?? ""] }
    }

    var number: Int
    var name: String
    var summary: String
    var control: PlantedBug?
    var controlMeaning: String
    /// The invariant the control run must break.
    var controlKind: Violation.Kind
    var run: @Sendable (Options, inout SeededGenerator) throws -> String

    static let all: [Scenario] = [
        NodeKill.scenario, HubKill.scenario, Ambiguous.scenario, SlowLink.scenario, Partition.scenario, DiskFull.scenario, IOError.scenario, ClockSkew.scenario,
        Security.scenario,
    ]
}

/// An invariant that does not hold (or a run that could not finish), and which kind it is.
struct Violation: Error, CustomStringConvertible {
    enum Kind: String, Sendable {
        /// Something acknowledged (a 201 to the clerk, a stored answer to a node) is gone.
        case lostAcknowledged = "lost-acknowledged"
        /// A replica's log or state differs from another's.
        case diverged
        /// integrity_check or the chain verification failed.
        case corrupt
        /// The hub answered a server error.
        case serverError = "server-error"
        /// A request that must be refused was served, or another commune's data or a secret came back.
        case breach
        /// Anything else: a timeout, a process that died by itself, an unexpected answer.
        case other
    }

    var kind: Kind
    var description: String
    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    init(_ description: String) { self.init(.other, description) }
}

/// A line on standard output, written at once (not buffered into a pipe), so CI's log shows each
/// scenario as it finishes.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
