import ArgumentParser
import Foundation
import LienThongCore
import LienThongTesting

/// `lienthong-sim`: runs the deterministic simulator (issue 6) over many seeds and prints what it
/// did — runs, events, every fault kind injected, invariant failures, seconds per seed. A failing
/// seed is printed with the command that replays it exactly.
@main
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lienthong-sim",
        abstract: "Run the deterministic simulation of a hub and three communes over many seeds.")

    @Option(help: "How many seeds to run, starting at --first.")
    var seeds = 20

    @Option(help: "The first seed.")
    var first: UInt64 = 1

    @Option(help: "Run this one seed only (replays a failure exactly).")
    var seed: UInt64?

    @Option(help: "Simulated office days per run before healing and draining.")
    var days = 1

    @Flag(help: "A control run: inject no faults.")
    var noFaults = false

    @Flag(inversion: .prefixedNo, help: "Back the hub up and restore it from its backups (restore-hub-backup).")
    var hubRestores = true

    @Flag(help: "Succeed only if some seed fails (for planted bugs: proof the simulator catches them).")
    var expectFailure = false

    @Flag(help: "Keep each run's SQLite files (under --directory).")
    var keep = false

    @Option(help: "Where runs put their files (default: a directory under /dev/shm or the temporary directory).")
    var directory: String?

    @Flag(help: "Print one line per seed.")
    var verbose = false

    @Flag(help: "Print every simulated occurrence (with --seed, to study a failure).")
    var trace = false

    mutating func run() throws {
        let base = URL(fileURLWithPath: directory ?? Self.defaultDirectory())
        let list: [UInt64] = seed.map { [$0] } ?? (0..<UInt64(max(0, seeds))).map { first + $0 }
        if let bug = PlantedBug.active { print("planted bug switched on: \(bug.rawValue)") }
        var totals: [Simulation.FaultKind: Int] = [:]
        var events = 0
        var heals = 0
        var settledClones = 0
        var failed: [(UInt64, [String])] = []
        var seconds = 0.0
        var slowest = 0.0
        var runs = 0
        for seed in list {
            runs += 1
            var options = Simulation.Options(seed: seed, directory: base.appendingPathComponent("seed-\(seed)"))
            options.days = days
            options.faults = !noFaults
            options.hubRestores = hubRestores
            options.keepFiles = keep
            options.trace = trace
            let report: Simulation.Report
            do {
                report = try Simulation(options: options).run()
            } catch {
                failed.append((seed, ["could not set up: \(error)"]))
                continue
            }
            events += report.events
            seconds += report.seconds
            slowest = max(slowest, report.seconds)
            for (kind, count) in report.faults { totals[kind, default: 0] += count }
            heals += report.heals
            settledClones += report.settledClones
            if verbose || !report.failures.isEmpty {
                let faults = report.faults.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " ")
                print(
                    "seed \(seed): \(report.events) events, \(report.dossiers) dossiers, \(report.conflicts) conflicts, \(report.heals) heals, \(report.settledClones) clones settled, "
                        + String(format: "%.2f s", report.seconds) + "; \(faults)")
            }
            if !report.failures.isEmpty {
                failed.append((seed, report.failures))
                for failure in report.failures.prefix(5) { print("  FAIL seed \(seed): \(failure)") }
                print("  replay: Scripts/simulate.sh --seed \(seed)" + (days != 1 ? " --days \(days)" : ""))
                if expectFailure { break }
            }
        }
        print(
            "runs: \(runs), events stored at the hub: \(events), seconds per seed: "
                + String(format: "%.2f (slowest %.2f)", seconds / Double(max(1, runs)), slowest))
        let kinds = Simulation.FaultKind.allCases.filter { hubRestores || $0 != .restoreHub }
        print("faults injected: " + kinds.map { "\($0.rawValue)=\(totals[$0] ?? 0)" }.joined(separator: " "))
        print("heals: \(heals) forks healed at nodes, \(settledClones) suspected clones settled by the operator")
        print("invariant failures: \(failed.count) seeds" + (failed.isEmpty ? "" : " (" + failed.prefix(10).map { String($0.0) }.joined(separator: ", ") + ")"))
        if expectFailure {
            guard !failed.isEmpty else {
                print("FAIL: expected a seed to fail (planted bug \(PlantedBug.active?.rawValue ?? "none")), but every seed passed")
                throw ExitCode(1)
            }
            print("OK: the simulator caught it (first failing seed \(failed[0].0))")
            return
        }
        let missing = kinds.filter { (totals[$0] ?? 0) == 0 }
        if !noFaults, runs >= 50, !missing.isEmpty {
            print("FAIL: fault kinds never injected: \(missing.map(\.rawValue).joined(separator: ", "))")
            throw ExitCode(1)
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    static func defaultDirectory() -> String {
        let shm = "/dev/shm"
        let root = FileManager.default.isWritableFile(atPath: shm) ? shm : NSTemporaryDirectory()
        return (root as NSString).appendingPathComponent("lienthong-sim-\(ProcessInfo.processInfo.processIdentifier)")
    }
}
