import Foundation
import GRDB
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import Testing

/// The hub and communes as real `lienthong` processes on loopback, over real files: `hub run`,
/// `node run` daemons, `node sync`, SIGKILL of the hub by its own pid.
@Suite(.serialized) struct SyncEndToEndTests {
    /// A scratch directory holding one hub and its communes.
    final class Site {
        let root: String
        var hub: CLIProcess.Running?
        var port = 0
        /// Added to every process this site starts: ``TestDate/environment(at:)`` puts a site at
        /// one particular date.
        let environment: [String: String]

        init(environment: [String: String] = [:]) throws {
            self.environment = environment
            root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-sync-e2e-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }

        var hubDir: String { root + "/hub" }
        func dir(_ node: String) -> String { root + "/" + node }
        var url: String { "http://127.0.0.1:\(port)" }

        func remove() {
            if let hub, hub.process.isRunning { hub.kill9() }
            try? FileManager.default.removeItem(atPath: root)
        }

        /// Runs `lienthong arguments…` and requires exit 0.
        @discardableResult
        func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIProcess.Result {
            let result = try CLIProcess.run(arguments, environment: environment)
            #expect(result.status == 0, "lienthong \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            return result
        }

        func initHub(_ options: [String] = []) throws {
            try run(["hub", "init", "--config", Fixtures.packageRoot.path + "/Config/hub.example.json", "--data-dir", hubDir] + options)
        }

        func initNode(_ node: String, agency: String, office: String, _ options: [String] = []) throws {
            try run(
                [
                    "node", "init", "--config", Fixtures.packageRoot.path + "/Config/node.example.json", "--node-id", node, "--agency", agency,
                    "--office", office, "--data-dir", dir(node),
                ] + options)
        }

        /// Starts `hub run` (on `port`, or a free one the first time) and waits for its listening line.
        func startHub() throws {
            let process = try CLIProcess.Running(["hub", "run", "--port", String(port), "--data-dir", hubDir], environment: environment)
            let line = process.nextLine() ?? ""
            guard line.hasPrefix("listening on http://127.0.0.1:"),
                let port = Int(line.dropFirst("listening on http://127.0.0.1:".count).prefix { $0.isNumber })
            else { throw Eventually.TimedOut(description: "hub run printed \"\(line)\": \(process.stderr)") }
            self.port = port
            hub = process
        }

        func enroll(_ node: String) throws {
            let token = try run(["hub", "enroll", node, "--data-dir", hubDir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try run(["node", "enroll", "--hub", url, "--token", token, "--data-dir", dir(node)])
        }

        func database(_ node: String) throws -> NodeDatabase { try NodeDatabase(path: dir(node) + "/node.sqlite") }

        /// Puts the backup `file` in place of the node's database at `directory`, as a person
        /// restoring it would (the node's processes stopped).
        func restore(_ directory: String, from file: String) throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: directory + "/node.sqlite" + suffix) }
            try FileManager.default.copyItem(atPath: file, toPath: directory + "/node.sqlite")
        }

        /// After 1 July 2025: the province of Lâm Đồng's hub (hub-68) running, and phường Hàm Thắng
        /// (xa-22933) and phường Bình Thuận (xa-22960) enrolled with it.
        static func lamDong() throws -> Site {
            let site = try Site()
            let topology = Fixtures.lamDongTopologyURL.path
            try site.initHub(["--hub-id", "hub-68", "--agency", "68", "--office", "UBND tỉnh Lâm Đồng", "--topology", topology])
            try site.initNode("xa-22933", agency: "22933", office: "UBND phường Hàm Thắng", ["--topology", topology])
            try site.initNode("xa-22960", agency: "22960", office: "UBND phường Bình Thuận", ["--topology", topology])
            try site.startHub()
            try site.enroll("xa-22933")
            try site.enroll("xa-22960")
            return site
        }
        func hubDatabase() throws -> HubDatabase { try HubDatabase(path: hubDir + "/hub.sqlite") }
    }

    static let communes = [
        ("xa-23059", "23059", "UBND thị trấn Ma Lâm"), ("xa-23062", "23062", "UBND thị trấn Phú Long"), ("xa-23065", "23065", "UBND xã La Dạ"),
    ]

    @Test func threeCommunesConvergeWhileTheHubIsKilledTwice() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        for (index, (node, agency, office)) in Self.communes.enumerated() {
            try site.initNode(node, agency: agency, office: office)
            try site.run(["demo", "load", "--dossiers", "200", "--seed", String(index + 1), "--data-dir", site.dir(node)])
        }
        try site.startHub()
        for (node, _, _) in Self.communes { try site.enroll(node) }

        var heads: [String: Int] = [:]
        for (node, _, _) in Self.communes { heads[node] = try site.database(node).head(origin: node)?.seq ?? 0 }
        let total = heads.values.reduce(0, +)
        #expect(total > 600)
        let hubDatabase = try site.hubDatabase()
        func storedAtHub() throws -> Int {
            try Self.communes.reduce(0) { sum, commune in sum + (try hubDatabase.head(origin: commune.0)?.seq ?? 0) }
        }

        let daemons = try Self.communes.map { node, _, _ in try CLIProcess.Running(["node", "run", "--api-port", "0", "--data-dir", site.dir(node)]) }
        for daemon in daemons { #expect(daemon.nextLine()?.hasPrefix("syncing xa-") == true, "\(daemon.stderr)") }

        // Kill the hub as soon as it has stored something, twice, restarting it on the same port.
        var stored = 0
        for kill in 1...2 {
            let before = stored
            try Eventually.wait(for: "the hub to store more than \(before) events", interval: .milliseconds(2)) { try storedAtHub() > before }
            site.hub?.kill9()
            stored = try storedAtHub()
            #expect(stored < total, "kill \(kill) came after everything was stored (\(stored) of \(total)): not mid-sync")
            try site.startHub()
        }

        // Polled gently: a reader polling the hub's file every few milliseconds was seen to slow
        // its writes by seconds on these machines.
        try Eventually.wait(for: "every commune's events at the hub", interval: .milliseconds(250)) { try storedAtHub() == total }
        // A district decision on one forwarded dossier per commune travels back down to the daemons.
        var decided: [String: String] = [:]
        for (node, _, _) in Self.communes {
            let forwarded = try site.database(node).dossiers(DossierFilter(status: .forwarded, limit: 1))
            let code = try #require(forwarded.first?.code, "\(node) forwarded nothing")
            try site.run(["hub", "dossier", "accept", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
            decided[node] = code
        }
        let nodeDatabases = try Dictionary(uniqueKeysWithValues: Self.communes.map { node, _, _ in (node, try site.database(node)) })
        for (node, code) in decided {
            let database = try #require(nodeDatabases[node])
            try Eventually.wait(for: "\(node) to receive the decision on \(code)", interval: .milliseconds(250)) {
                try database.events(ofDossier: code).contains { $0.type == "dossier.accepted" }
            }
        }
        // A dossier received by the CLI (another process) while the daemon runs:
        // noticed at the daemon's next tick (it reads the log's head) and pushed, with no restart and no `node sync`.
        let late = try Self.receive(site, "xa-23059", applicant: "Đặng Văn Nam")
        heads["xa-23059"] = try nodeDatabases["xa-23059"]?.head(origin: "xa-23059")?.seq
        try Eventually.wait(for: "the hub to hold \(late)", interval: .milliseconds(250)) { try hubDatabase.dossier(late) != nil }
        // Each daemon beats its heartbeat and records its attempts.
        for (node, daemon) in zip(Self.communes.map(\.0), daemons) {
            let database = try #require(nodeDatabases[node])
            let beat = try database.writer.read { db in try Int32.fetchOne(db, sql: "SELECT pid FROM heartbeat WHERE id = 1") }
            #expect(beat == daemon.lienthongPID, "\(node): heartbeat pid \(String(describing: beat)), daemon \(String(describing: daemon.lienthongPID))")
            #expect(try database.syncAttempts(limit: 1_000).contains { $0.kind == "push" && $0.outcome == "stored" })
        }
        try Eventually.wait(for: "every commune to see the hub hold its head", interval: .milliseconds(250)) {
            try nodeDatabases.allSatisfy { node, database in try database.syncCursor().storedSeq == heads[node] }
        }
        // The hub first, while the caught-up daemons' pulls wait on it (25 s long-polls): a
        // graceful shutdown answers them at once instead of holding on for the wait.
        let stopping = ContinuousClock.now
        #expect(site.hub?.terminate() == 0)
        #expect(ContinuousClock.now - stopping < .seconds(10), "hub run took \(ContinuousClock.now - stopping) to stop")
        for daemon in daemons {
            let stopping = ContinuousClock.now
            #expect(daemon.terminate() == 0, "node run did not stop gracefully: \(daemon.stderr)")
            #expect(ContinuousClock.now - stopping < .seconds(10), "node run took \(ContinuousClock.now - stopping) to stop")
        }

        // Every event exactly once at the hub, the same bytes; no feed entry twice.
        let hub = try site.hubDatabase()
        for (node, _, _) in Self.communes {
            let atNode = try Self.hashes(of: node, in: site.database(node))
            let atHub = try Self.hashes(of: node, in: hub)
            #expect(atHub.count == heads[node])
            #expect(atHub == atNode, "\(node): the hub's events differ from the node's")
        }
        let repeated = try hub.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT node, eventPosition FROM feed GROUP BY node, eventPosition HAVING COUNT(*) > 1)")
        }
        #expect(repeated == 0)

        // Every chain verifies; each node's dossiers fold to the same states as the hub's copies.
        for directory in [site.hubDir] + Self.communes.map({ site.dir($0.0) }) {
            let verify = try CLIProcess.run(["node", "log", "verify", "--data-dir", directory])
            #expect(verify.status == 0, "\(directory): \(verify.stdout)")
        }
        for (node, _, _) in Self.communes {
            let database = try site.database(node)
            let codes = try database.dossiers(DossierFilter(limit: 10_000)).map(\.code)
            let expected = node == "xa-23059" ? 201 : 200  // Ma Lâm also received `late`
            #expect(codes.count == expected)
            let local = try codes.compactMap { try database.dossier($0) }
            let central = try codes.compactMap { try hub.dossier($0) }
            #expect(central.count == expected)
            #expect(DossierState.replicaHash(local) == DossierState.replicaHash(central), "\(node): state hash differs from the hub's")
        }
    }

    static func hashes(of origin: String, in database: any EventLogDatabase) throws -> [Int: String] {
        try database.writer.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT seq, hash FROM event WHERE origin = ?", arguments: [origin])
                    .map { ($0["seq"] as Int, $0["hash"] as String) })
        }
    }

    static func receive(_ site: Site, _ node: String, applicant: String) throws -> String {
        let receipt = try site.run(DossierEndToEndTests.receiveArguments(dataDir: site.dir(node), overriding: ["--applicant": applicant]))
        return try #require(DossierEndToEndTests.code(in: receipt.stdout))
    }

    @Test func aForwardToTheDistrictIsDecidedThereAndComesBack() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        try site.startHub()
        try site.enroll("xa-23059")
        let node = site.dir("xa-23059")

        let code = try Self.receive(site, "xa-23059", applicant: "Trần Thị Bích")
        try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", node])
        try site.run(["dossier", "forward", code, "--to", "597", "--actor", "cb-tuphap-01", "--data-dir", node])
        #expect(try site.run(["node", "sync", "--data-dir", node]).stdout.contains("in sync with hub-597"))

        // The district sees the whole history, not only the forward.
        let atHub = try site.run(["hub", "dossier", "show", code, "--json", "--data-dir", site.hubDir])
        let state = try JSONParser.parse(Array(atHub.stdout.trimmingCharacters(in: .newlines).utf8))
        #expect(state["owner"]?.stringValue == "hub-597")
        #expect(state["applicant"]?["name"]?.stringValue == "Trần Thị Bích")
        #expect(try site.hubDatabase().events(ofDossier: code).map(\.type) == ["dossier.received", "dossier.handedOver", "dossier.forwarded"])

        try site.run(["hub", "dossier", "accept", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        try site.run(["hub", "dossier", "resolve", code, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDir])
        try site.run(["hub", "dossier", "send-result", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        try site.run(["node", "sync", "--data-dir", node])

        let back = try site.run(["dossier", "show", code, "--data-dir", node])
        #expect(back.stdout.contains("Đã có kết quả"))
        #expect(back.stdout.contains("Owner       xa-23059"))
        try site.run(["dossier", "return", code, "--actor", "cb-tiepnhan-01", "--data-dir", node])
        try site.run(["node", "sync", "--data-dir", node])
        #expect(site.hub?.terminate() == 0)
        #expect(try site.hubDatabase().dossier(code)?.status == .returned)
        #expect(try CLIProcess.run(["node", "log", "verify", "--data-dir", node]).status == 0)
    }

    @Test func aForwardBetweenCommunesOnThePost2025TopologyComesBackDecided() throws {
        let site = try Site.lamDong()
        defer { site.remove() }
        let sender = site.dir("xa-22933")
        let receiver = site.dir("xa-22960")

        let code = try Self.receive(site, "xa-22933", applicant: "Lê Thị Mai")
        #expect(code.hasPrefix("22933-"))
        try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", sender])
        try site.run(["dossier", "forward", code, "--to", "22960", "--actor", "cb-tuphap-01", "--data-dir", sender])
        try site.run(["node", "sync", "--data-dir", sender])
        try site.run(["node", "sync", "--data-dir", receiver])

        let arrived = try site.run(["dossier", "show", code, "--json", "--data-dir", receiver])
        let state = try JSONParser.parse(Array(arrived.stdout.trimmingCharacters(in: .newlines).utf8))
        #expect(state["owner"]?.stringValue == "xa-22960")
        #expect(state["applicant"]?["name"]?.stringValue == "Lê Thị Mai")
        #expect(try site.database("xa-22960").events(ofDossier: code).map(\.type) == ["dossier.received", "dossier.handedOver", "dossier.forwarded"])

        try site.run(["dossier", "accept", code, "--actor", "cb-tiepnhan-01", "--data-dir", receiver])
        try site.run(["dossier", "resolve", code, "--approve", "--actor", "ct-ubnd", "--data-dir", receiver])
        try site.run(["dossier", "send-result", code, "--actor", "cb-tiepnhan-01", "--data-dir", receiver])
        try site.run(["node", "sync", "--data-dir", receiver])
        try site.run(["node", "sync", "--data-dir", sender])

        let back = try site.run(["dossier", "show", code, "--data-dir", sender])
        #expect(back.stdout.contains("Đã có kết quả"))
        #expect(back.stdout.contains("Owner       xa-22933"))
        #expect(site.hub?.terminate() == 0)
        for directory in [sender, receiver, site.hubDir] {
            let verify = try CLIProcess.run(["node", "log", "verify", "--data-dir", directory])
            #expect(verify.status == 0, "\(directory): \(verify.stdout)")
        }
    }
}
