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
        // Receipts at the counter while the daemon pushes: many small pushes, each a chance of an
        // ambiguous outcome.
        let run = try ProxiedCommune.run(
            options, &random, name: "ambiguous", faults: #"{"drop_response_probability": 0.3, "reset_probability": 0.1}"#,
            receipts: options.quick ? 1_000 : 10_000, pause: .zero, timeout: .seconds(options.quick ? 120 : 900))
        let dropped = run.stats["dropped_responses"] ?? 0
        guard dropped > 0 else { throw Violation("the proxy dropped no response: the fault did not happen") }
        return "\(run.receipts.count) receipts; \(run.stored) events at the hub, each once; the proxy dropped \(dropped) responses after the hub "
            + "applied the request and reset \(run.stats["resets"] ?? 0) of \(run.stats["connections"] ?? 0) connections; \(run.dossiers) dossiers at one state hash; "
            + "\(format(run.seconds)) s"
    }
}

/// One commune behind the fault proxy, set to `faults`: its clerk receives `receipts` dossiers
/// through the local API (pausing `pause` after each) while the daemon pushes; then the hub must
/// hold the commune's log exactly once, nothing acknowledged lost, both files intact, one state
/// hash per dossier. The planted bug, if any, is switched on at the hub and the node.
enum ProxiedCommune {
    struct Result {
        var receipts: [String]
        var stored: Int
        var dossiers: Int
        /// The proxy's counters.
        var stats: [String: Int]
        /// Seconds until the clerk had every receipt, and until the hub had every event.
        var written: Double
        var seconds: Double
    }

    static func run(
        _ options: Scenario.Options, _ random: inout SeededGenerator, name: String, faults: String, receipts target: Int, pause: Duration,
        timeout: Duration
    ) throws -> Result {
        let site = try ProcessSite(prefix: "lienthong-chaos-\(name)")
        defer { site.remove() }
        let (node, agency, office) = NodeKill.node
        try site.initHub()
        try site.initNode(node, agency: agency, office: office)
        try site.startHub(environment: options.environment)
        let proxy = try FaultProxy(target: site.port, directory: site.root, seed: random.next())
        try site.enroll(node, via: proxy.url)
        try proxy.set(faults)
        let start = ContinuousClock.now
        let running = try site.startNode(node, environment: options.environment)
        defer { if running.process.process.isRunning { running.process.kill9() } }
        let clerk = CounterClerk(running, limit: target, pause: pause)
        let receipts = clerk.finish()
        let written = (ContinuousClock.now - start).seconds
        if let failure = clerk.failure { throw Violation("the local API answered \(failure)") }
        guard receipts.count == target else { throw Violation("the clerk stopped after \(receipts.count) of \(target) receipts: node run died") }
        try Invariants.waitForConvergence(site, [node], timeout: timeout)
        let seconds = (ContinuousClock.now - start).seconds
        running.process.terminate()
        let stats = proxy.stop()
        let stored = try Invariants.hubHoldsChain(site, node)
        let database = try site.database(node)
        for code in receipts where try database.dossier(code) == nil { throw Violation(.lostAcknowledged, "dossier \(code) was acknowledged but is not saved") }
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        try Invariants.intact(site.directory(node) + "/node.sqlite", node)
        let dossiers = try Invariants.sameState(site, [node])
        return Result(receipts: receipts, stored: stored, dossiers: dossiers, stats: stats, written: written, seconds: seconds)
    }
}

/// Scenario 4: a slow lossy link, like a commune's 3G on a bad day. The proxy delays every chunk
/// 500 ± 100 ms each way (a round trip of about 1 s), caps each direction at 256 kbit/s, drops
/// 30 % of the answers after the hub applied the request (the worst loss: the node cannot know
/// whether its push counted) and resets 30 % of new connections mid-stream. The clerk's receipts
/// are saved at once, whatever the link; each must reach the hub exactly once.
enum SlowLink {
    static let scenario = Scenario(
        number: 4, name: "slow-link", summary: "≈1 s round trip, 256 kbit/s, 30 % of answers lost after the hub applied the request, 30 % of connections reset",
        control: .skipDuplicateCheck,
        controlMeaning: "the hub takes a batch re-sent after a lost answer as new; the log's UNIQUE (origin, seq) refuses it, a server error",
        controlKind: .serverError
    ) { options, random in try run(options, &random) }

    static let faults =
        #"{"latency_ms": 500, "jitter_ms": 100, "bandwidth_bytes_per_second": 32000, "reset_probability": 0.3, "drop_response_probability": 0.3}"#

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        // At a clerk's pace (one receipt every 0.2 s), so that many small pushes cross the link;
        // under the watchdog's limit for the run (600 s quick), so a slow drain is reported.
        let run = try ProxiedCommune.run(
            options, &random, name: "slow-link", faults: faults, receipts: options.quick ? 100 : 500, pause: .milliseconds(200),
            timeout: .seconds(options.quick ? 400 : 1_800))
        let up = run.stats["bytes_client_to_server"] ?? 0
        let down = run.stats["bytes_server_to_client"] ?? 0
        let lost = (run.stats["dropped_responses"] ?? 0) + (run.stats["resets"] ?? 0)
        guard lost > 0 else { throw Violation("the proxy lost no exchange: the fault did not happen") }
        return
            "\(run.receipts.count) receipts saved in \(format(run.written)) s; \(run.stored) events at the hub, each once, \(format(run.seconds)) s after the first; "
            + "\(up) bytes up and \(down) down (\(format(Double(up + down) / Double(run.stored))) a stored event, long-polls included); "
            + "\(run.stats["dropped_responses"] ?? 0) answers dropped after the hub applied the request, \(run.stats["resets"] ?? 0) resets, "
            + "\(run.stats["connections"] ?? 0) connections; \(run.dossiers) dossiers at one state hash"
    }
}

/// Scenario 5: a partition. Three communes lose the link to the hub for the equivalent of a working
/// day (each receives its day's dossiers, compressed into a few minutes) while the counter goes on;
/// then the link heals. Printed: the time from heal until the hub holds every log and every replica
/// has one state hash per dossier.
enum Partition {
    static let scenario = Scenario(
        number: 5, name: "partition", summary: "3 communes cut off for a working day's dossiers, then healed; time from heal to one state hash",
        control: .giveUpAfterFailures,
        controlMeaning: "a node stops pushing for good after three failed pushes in a row; after the heal its day stays at the commune",
        controlKind: .diverged
    ) { options, random in try run(options, &random) }

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        let perDay = options.quick ? 20 : 100
        // Long enough for several failed pushes: a black-holed push fails only at the node's 30 s
        // request timeout.
        let cutFor: Duration = options.quick ? .seconds(100) : .seconds(180)
        let site = try ProcessSite(prefix: "lienthong-chaos-partition")
        defer { site.remove() }
        let communes = HubKill.communes
        try site.initHub()
        try site.startHub(environment: options.environment)
        let proxy = try FaultProxy(target: site.port, directory: site.root, seed: random.next())
        var running: [ProcessSite.Node] = []
        defer { for node in running where node.process.process.isRunning { node.process.kill9() } }
        for (node, agency, office) in communes {
            try site.initNode(node, agency: agency, office: office)
            try site.enroll(node, via: proxy.url)
            running.append(try site.startNode(node, environment: options.environment))
        }
        let names = communes.map(\.0)
        // Morning, link up: a few receipts each, at the hub within seconds.
        var acknowledged = try receive(at: running, count: 5)
        try Invariants.waitForConvergence(site, names, timeout: .seconds(60))

        try proxy.set(#"{"partition": true}"#)
        let cut = ContinuousClock.now
        acknowledged += try receive(at: running, count: perDay)
        let remaining = cutFor - (ContinuousClock.now - cut)
        if remaining > .zero { Thread.sleep(forTimeInterval: remaining.seconds) }
        let hub = try site.hubDatabase()
        for (node, database) in zip(names, try names.map { try site.database($0) }) {
            let local = try database.head(origin: node)?.seq ?? 0
            let stored = try hub.head(origin: node)?.seq ?? 0
            guard stored < local else { throw Violation("\(node): the hub holds all \(stored) events during the partition: the link was not cut") }
        }

        try proxy.set(#"{"partition": false}"#)
        let heal = ContinuousClock.now
        do {
            try Invariants.waitForConvergence(site, names, timeout: .seconds(options.quick ? 240 : 600))
        } catch let violation as Violation where violation.kind == .other {
            throw Violation(.diverged, "after the heal: \(violation.description)")
        }
        let healed = (ContinuousClock.now - heal).seconds
        for node in running { node.process.terminate() }
        let stats = proxy.stop()
        var events = 0
        for node in names {
            events += try Invariants.hubHoldsChain(site, node)
            try Invariants.intact(site.directory(node) + "/node.sqlite", node)
        }
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        for (node, codes) in acknowledged {
            let database = try site.database(node)
            for code in codes where try database.dossier(code) == nil {
                throw Violation(.lostAcknowledged, "dossier \(code) of \(node) was acknowledged but is not saved")
            }
        }
        let dossiers = try Invariants.sameState(site, names)
        return "\(communes.count) communes cut off for \(format(cutFor.seconds)) s while each received \(perDay) dossiers "
            + "(\(stats["partition_aborts"] ?? 0) connections cut, \(stats["blackholed"] ?? 0) black-holed); "
            + "\(events) events at the hub, each once; \(dossiers) dossiers at one state hash \(format(healed)) s after the heal"
    }

    /// `count` receipts at each commune's counter, the communes at once.
    static func receive(at nodes: [ProcessSite.Node], count: Int) throws -> [(String, [String])] {
        let clerks = nodes.map { CounterClerk($0, limit: count) }
        var result: [(String, [String])] = []
        for (index, clerk) in clerks.enumerated() {
            let codes = clerk.finish()
            if let failure = clerk.failure { throw Violation("the local API answered \(failure)") }
            guard codes.count == count else { throw Violation("a clerk stopped after \(codes.count) of \(count) receipts: node run died") }
            result.append((HubKill.communes[index].0, codes))
        }
        return result
    }
}
