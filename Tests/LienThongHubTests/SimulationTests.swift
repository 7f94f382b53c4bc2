import Foundation
import LienThongTesting
import Testing

/// The deterministic simulator in the test suite (the 200-seed run is `Scripts/simulate.sh`): runs
/// pass their invariants, inject faults, and one seed replays exactly.
@Suite struct SimulationTests {
    static func run(seed: UInt64, faults: Bool = true) throws -> Simulation.Report {
        var options = Simulation.Options(seed: seed, directory: FileManager.default.temporaryDirectory.appendingPathComponent("sim-test-\(seed)-\(UUID().uuidString)"))
        options.faults = faults
        return try Simulation(options: options).run()
    }

    @Test func aSeededRunWithFaultsKeepsEveryInvariantAndReplaysExactly() throws {
        let report = try Self.run(seed: 4242)
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.events > 50)
        #expect(report.faults.values.reduce(0, +) > 20)
        let again = try Self.run(seed: 4242)
        #expect(again.events == report.events)
        #expect(again.dossiers == report.dossiers)
        #expect(again.conflicts == report.conflicts)
        #expect(again.faults == report.faults)
    }

    @Test func aControlRunWithoutFaultsPassesAndInjectsNone() throws {
        let report = try Self.run(seed: 7, faults: false)
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.events > 50)
        #expect(report.faults.isEmpty)
    }
}
