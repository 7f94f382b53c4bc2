import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting

/// The project's fault-injecting TCP proxy (`Scripts/faultproxy.py`: the kernel has no netem and
/// toxiproxy is not packaged) between a node and the hub, started and stopped by its own pid.
final class FaultProxy {
    let process = Process()
    let port: Int
    let controlFile: String
    let statsFile: String

    init(target: Int, directory: String, seed: UInt64) throws {
        let portFile = directory + "/proxy.port"
        controlFile = directory + "/proxy.control.json"
        statsFile = directory + "/proxy.stats.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: controlFile))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Fixtures.packageRoot.path + "/Scripts/faultproxy.py", "--listen", "127.0.0.1:0", "--target", "127.0.0.1:\(target)",
            "--port-file", portFile, "--control-file", controlFile, "--stats-file", statsFile, "--seed", String(seed),
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        CLIProcess.register(process)
        var port: Int?
        let process = self.process
        do {
            try Eventually.wait(for: "the fault proxy to listen", timeout: .seconds(30), interval: .milliseconds(20)) {
                guard process.isRunning else { throw Violation("the fault proxy exited with \(process.terminationStatus)") }
                port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                return port != nil
            }
        } catch {
            // Not fully made: no deinit stops it.
            if process.isRunning { process.terminate() }
            throw error
        }
        self.port = port ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Sets the faults, a JSON object as text (the proxy re-reads its control file every 100 ms).
    func set(_ faults: String) throws {
        let temporary = controlFile + ".tmp"
        try Data(faults.utf8).write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, controlFile)
        Thread.sleep(forTimeInterval: 0.3)
    }

    /// Stops the proxy (SIGTERM) and returns its integer counters.
    func stop() -> [String: Int] {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: statsFile)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    deinit { _ = stop() }
}

/// Scenario 3: ambiguous outcomes. Between a node and the hub, the proxy forwards each request
/// and then drops 30 % of the responses (the hub applied the push; the node never hears back) and
/// resets 10 % of the connections mid-stream. The node retries; the hub must hold each event
/// exactly once.
enum Ambiguous {
    static let scenario = Scenario(
        number: 3, name: "ambiguous", summary: "a proxy drops 30 % of responses after the hub applied the request and resets 10 % of connections",
        control: .skipDuplicateCheck,
        controlMeaning: "the hub takes a re-sent batch as new; the log's UNIQUE (origin, seq) refuses it, a server error",
        controlKind: .serverError
    ) { options, random in try run(options, &random) }

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        let target = options.quick ? 1_000 : 10_000
        let site = try ProcessSite(prefix: "lienthong-chaos-ambiguous")
        defer { site.remove() }
        let (node, agency, office) = NodeKill.node
        try site.initHub()
        try site.initNode(node, agency: agency, office: office)
        try site.startHub(environment: options.environment)
        let proxy = try FaultProxy(target: site.port, directory: site.root, seed: random.next())
        try site.enroll(node, via: proxy.url)
        try proxy.set(#"{"drop_response_probability": 0.3, "reset_probability": 0.1}"#)
        let start = ContinuousClock.now
        let running = try site.startNode(node)
        defer { if running.process.process.isRunning { running.process.kill9() } }
        // Receipts at the counter while the daemon pushes: many small pushes, each a chance of an
        // ambiguous outcome.
        let clerk = CounterClerk(running, limit: target)
        let receipts = clerk.finish()
        if let failure = clerk.failure { throw Violation("the local API answered \(failure)") }
        guard receipts.count == target else { throw Violation("the clerk stopped after \(receipts.count) of \(target) receipts: node run died") }
        try Invariants.waitForConvergence(site, [node], timeout: .seconds(options.quick ? 120 : 900))
        let seconds = (ContinuousClock.now - start).seconds
        running.process.terminate()
        let stats = proxy.stop()
        let stored = try Invariants.hubHoldsChain(site, node)
        let database = try site.database(node)
        for code in receipts where try database.dossier(code) == nil { throw Violation(.lostAcknowledged, "dossier \(code) was acknowledged but is not saved") }
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        try Invariants.intact(site.directory(node) + "/node.sqlite", node)
        let dossiers = try Invariants.sameState(site, [node])
        let dropped = stats["dropped_responses"] ?? 0
        let resets = stats["resets"] ?? 0
        guard dropped > 0 else { throw Violation("the proxy dropped no response: the fault did not happen") }
        return "\(receipts.count) receipts; \(stored) events at the hub, each once; the proxy dropped \(dropped) responses after the hub "
            + "applied the request and reset \(resets) of \(stats["connections"] ?? 0) connections; \(dossiers) dossiers at one state hash; \(format(seconds)) s"
    }
}
