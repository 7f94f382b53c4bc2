import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

/// `lienthong status` and `hub status` against real processes: a hub, a node's daemon beating
/// every second, the hub stopped, the daemon SIGKILLed, a node restored from a backup (a fork).
/// Every state is read twice: the exit code and the `--json` facts and findings.
@Suite(.serialized) struct StatusEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    struct Status {
        let exitCode: Int32
        let json: JSONValue

        var level: String? { json["level"]?.stringValue }
        var codes: Set<String> {
            guard case .array(let findings)? = json["findings"] else { return [] }
            return Set(findings.compactMap { $0["code"]?.stringValue })
        }
        var facts: JSONValue? { json["facts"] }
    }

    static func status(_ arguments: [String], environment: [String: String] = [:]) throws -> Status {
        let result = try CLIProcess.run(arguments + ["--json"], environment: environment)
        let json = try JSONParser.parse(result.stdout)
        // The JSON's level and exit code say the same as the process's exit code.
        #expect(json["exitCode"]?.integerValue == Int(result.status), "\(result.stdout)")
        return Status(exitCode: result.status, json: json)
    }

    static func node(_ site: Site, _ options: [String] = []) throws -> Status {
        try status(["status", "--data-dir", site.dir("xa-23059")] + options, environment: site.environment)
    }

    /// A hub and Ma Lâm enrolled, the hub running (at `date`, Vietnam time, when given).
    static func start(at date: String? = nil) throws -> Site {
        let site = try Site(environment: try date.map(TestDate.environment(at:)) ?? [:])
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        try site.startHub()
        try site.enroll("xa-23059")
        return site
    }

    static func receive(_ site: Site) throws -> String {
        let receipt = try site.run(DossierEndToEndTests.receiveArguments(dataDir: site.dir("xa-23059"))).stdout
        return try #require(DossierEndToEndTests.code(in: receipt))
    }

    @Test func okThenWarningThenCriticalAsTheHubStopsAndTheDaemonDies() throws {
        let site = try Self.start()
        defer { site.remove() }
        #expect(try Self.node(site).codes.contains("daemon-never-ran"))

        let daemon = try CLIProcess.Running(["node", "run", "--heartbeat-seconds", "1", "--api-port", "0", "--data-dir", site.dir("xa-23059")])
        #expect(daemon.nextLine()?.hasPrefix("syncing") == true, "\(daemon.stderr)")
        _ = try Self.receive(site)
        // OK allows a young unacknowledged event (below --pending-after); wait for it to be stored too.
        try Eventually.wait(for: "status OK with the dossier stored at the hub") {
            let status = try Self.node(site)
            return status.exitCode == 0 && status.facts?["pending"]?.integerValue == 0
        }
        let ok = try Self.node(site)
        #expect(ok.level == "OK")
        #expect(ok.codes.isEmpty)
        #expect(ok.facts?["pending"]?.integerValue == 0)
        #expect(ok.facts?["storedAtHub"]?.integerValue == ok.facts?["localHead"]?.integerValue)
        #expect((ok.facts?["verifiedEvents"]?.integerValue ?? 0) >= 1)

        // The link drops: the counter goes on, and status never says OK once a sync has failed.
        #expect(site.hub?.terminate() == 0)
        _ = try Self.receive(site)
        try Eventually.wait(for: "a failed push to be recorded") {
            try Self.node(site).facts?["lastPush"]?["outcome"]?.stringValue == "failed"
        }
        let failing = try Self.node(site)
        #expect(failing.exitCode == 1)
        #expect(failing.level == "WARNING")
        #expect(failing.codes.contains("sync-failing"))
        #expect(failing.facts?["pending"]?.integerValue == 1)
        let pending = try Self.node(site, ["--pending-after", "0s"])
        #expect(pending.exitCode == 1)
        #expect(pending.codes.isSuperset(of: ["events-pending", "sync-failing"]))
        let unreachable = try Self.node(site, ["--unreachable-after", "0s"])
        #expect(unreachable.exitCode == 2)
        #expect(unreachable.level == "CRITICAL")
        #expect(unreachable.codes.contains("hub-unreachable"))

        // The daemon dies: three missed beats (of 1 s) make it CRITICAL.
        daemon.kill9()
        try Eventually.wait(for: "status to notice the dead daemon") { try Self.node(site).codes.contains("daemon-dead") }
        #expect(try Self.node(site).exitCode == 2)

        // The text form leads with the monitoring-plugin line.
        let text = try CLIProcess.run(["status", "--data-dir", site.dir("xa-23059")])
        #expect(text.status == 2)
        #expect(text.stdout.hasPrefix("LIENTHONG CRITICAL - xa-23059:"))
    }

    /// Docs/operating.md's rule, with the shipped calendar (2026 announced, 2027 provisional): on
    /// Monday 7 December 2026 a receipt due on 5 January 2027 is a fact, exit 0; on Monday
    /// 11 January 2027 the node works in a provisional year and warns.
    @Test(arguments: [("2026-12-07T09:00", false), ("2027-01-11T09:00", true)])
    func aProvisionalYearWarnsOnlyWhenItIsThisYears(date: String, warns: Bool) throws {
        let site = try Self.start(at: date)
        defer { site.remove() }
        let daemon = try CLIProcess.Running(
            ["node", "run", "--heartbeat-seconds", "1", "--api-port", "0", "--data-dir", site.dir("xa-23059")], environment: site.environment)
        defer { daemon.terminate() }
        _ = try Self.receive(site)
        try Eventually.wait(for: "everything stored at the hub and a pull") {
            let facts = try Self.node(site).facts
            return facts?["pending"]?.integerValue == 0 && facts?["pulledAt"] != .null
        }
        let status = try Self.node(site)
        #expect(status.facts?["provisionalYears"] == .array([.integer(2027)]))
        #expect(status.facts?["provisionalAppointments"]?.integerValue == 1)
        #expect(status.facts?["provisionalToday"] == .bool(warns))
        let text = try CLIProcess.run(["status", "--data-dir", site.dir("xa-23059")], environment: site.environment)
        if warns {
            #expect(status.exitCode == 1)
            #expect(status.codes == ["provisional-calendar"])
            #expect(text.stdout.contains("WARNING provisional-calendar: this year's (2027) working calendar is provisional"), "\(text.stdout)")
        } else {
            #expect(status.exitCode == 0, "\(status.json)")
            #expect(status.codes.isEmpty)
            #expect(text.status == 0)
            #expect(text.stdout.contains("provisional for 2027 (1 open appointment there, none close): a fact, not a warning"), "\(text.stdout)")
        }
    }

    @Test func anOpenConflictIsAWarningAtTheNodeAndAtTheHub() throws {
        let site = try Self.start()
        defer { site.remove() }
        let code = try Self.receive(site)
        try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", site.dir("xa-23059")])
        try site.run(["dossier", "forward", code, "--to", "597", "--actor", "cb-tuphap-01", "--data-dir", site.dir("xa-23059")])
        // No honest command writes a conflict on demand until fork healing (issue 6): a debug-only
        // driver appends a hand-over by the commune, which no longer owns the forwarded dossier.
        try site.run([
            "dev", "append", "--type", "dossier.handedOver", "--dossier", code, "--body", #"{"to":"cb-tuphap-01"}"#,
            "--actor", "cb-tiepnhan-01", "--data-dir", site.dir("xa-23059"),
        ])
        let daemon = try CLIProcess.Running(["node", "run", "--heartbeat-seconds", "1", "--api-port", "0", "--data-dir", site.dir("xa-23059")])
        defer { daemon.terminate() }
        try Eventually.wait(for: "everything stored at the hub and a pull") {
            let facts = try Self.node(site).facts
            return facts?["pending"]?.integerValue == 0 && facts?["pulledAt"] != .null
        }
        let status = try Self.node(site)
        #expect(status.exitCode == 1)
        #expect(status.codes == ["open-conflicts"])
        #expect(status.facts?["openConflicts"]?.integerValue == 1)

        // The hub folds it too: `hub status` warns and `hub nodes` counts it against Ma Lâm.
        let hubStatus = { try Self.status(["hub", "status", "--data-dir", site.hubDir]) }
        try Eventually.wait(for: "the hub's projector to fold the conflict") { try hubStatus().codes.contains("open-conflicts") }
        #expect(try hubStatus().exitCode == 1)
        let nodes = try JSONParser.parse(try site.run(["hub", "nodes", "--json", "--data-dir", site.hubDir]).stdout)
        guard case .array(let rows)? = nodes["nodes"] else {
            Issue.record("no nodes in \(nodes)")
            return
        }
        let row = try #require(rows.first { $0["node"]?.stringValue == "xa-23059" })
        #expect(row["openConflicts"]?.integerValue == 1)
        #expect(row["storedHead"]?.integerValue == row["reportedHead"]?.integerValue)
        #expect(row["lagEvents"]?.integerValue == 0)
        #expect(row["skewMs"] != .null)
        let table = try site.run(["hub", "nodes", "--data-dir", site.hubDir]).stdout
        #expect(table.contains("UBND thị trấn Ma Lâm"))

        // Conflict review: listed and shown at the commune, with both sides and the reason in
        // Vietnamese and English; settled by the owner (the district), then settled everywhere.
        let listed = try site.run(["conflicts", "list", "--json", "--data-dir", site.dir("xa-23059")]).stdout
            .split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(listed.count == 1)
        let id = try #require(listed.first?["id"]?.stringValue)
        #expect(listed.first?["dossier"]?.stringValue == code)
        let shown = try site.run(["conflicts", "show", id, "--data-dir", site.dir("xa-23059")]).stdout
        #expect(shown.contains("Other side  owner hub-597"), "\(shown)")
        #expect(shown.contains("Lý do       "))
        #expect(shown.contains("Reason      "))
        let notOwner = try CLIProcess.run([
            "conflicts", "resolve", id, "--dismiss", "--note", "Nhầm thao tác", "--actor", "cb-tiepnhan-01", "--data-dir", site.dir("xa-23059"),
        ])
        #expect(notOwner.status == 65, "\(notOwner.stderr)")
        try site.run([
            "conflicts", "resolve", id, "--dismiss", "--note", "Cán bộ xã thao tác nhầm; hồ sơ đang ở huyện", "--actor", "vh-hethong",
            "--data-dir", site.hubDir,
        ])
        try Eventually.wait(for: "the commune to see the conflict settled") { try Self.node(site).exitCode == 0 }
        #expect(try site.run(["conflicts", "list", "--data-dir", site.dir("xa-23059")]).stdout.contains("0 conflict(s) open"))
        let settled = try site.run(["conflicts", "list", "--all", "--json", "--data-dir", site.dir("xa-23059")]).stdout
        #expect(settled.contains(#""resolution":"dismissed""#), "\(settled)")
        #expect(try hubStatus().exitCode == 0)
        let hubSide = try site.run(["conflicts", "show", id, "--json", "--data-dir", site.hubDir]).stdout
        #expect(hubSide.contains(#""resolution":"dismissed""#))
    }

    /// DESIGN §5 with real processes: a node restored from an old backup reuses a seq and a dossier
    /// code the hub holds; `node sync` heals (takes its events back, re-appends the branch in a new
    /// epoch, re-issues the code with an open conflict) and `status` reports it.
    @Test func aNodeRestoredFromAnOldBackupHealsTheForkAndSaysSo() throws {
        let site = try Self.start()
        defer { site.remove() }
        let node = site.dir("xa-23059")
        _ = try Self.receive(site)
        try site.run(["node", "sync", "--data-dir", node])
        try site.run(["node", "backup", site.root + "/old.sqlite", "--data-dir", node])
        let lost = try Self.receive(site)
        try site.run(["node", "sync", "--data-dir", node])
        // Restore last week's backup over the live database, then keep working: the next seq is
        // one the hub already holds with another hash, and the next code is one it holds too.
        try site.restore(node, from: site.root + "/old.sqlite")
        let reused = try Self.receive(site)
        #expect(reused == lost)
        let sync = try CLIProcess.run(["node", "sync", "--data-dir", node])
        #expect(sync.status == 0, "\(sync.stderr)")

        let status = try Self.node(site)
        // No daemon runs in this test (`node sync` did the work): that alone is critical.
        #expect(status.codes.filter { !["daemon-never-ran", "fork-healed", "open-conflicts"].contains($0) }.isEmpty, "\(status.codes)")
        #expect(status.codes.contains("fork-healed"))
        #expect(status.codes.contains("open-conflicts"))
        #expect(!status.codes.contains("fork"))
        #expect(status.facts?["localHead"]?.integerValue == 4)
        #expect(status.facts?["storedAtHub"]?.integerValue == 4)
        #expect(status.facts?["lastHeal"]?["summary"]?.stringValue?.contains("\(lost) →") == true)
        // The re-issued dossier is listed as a conflict to settle at the commune.
        let conflicts = try site.run(["conflicts", "list", "--data-dir", node]).stdout
        #expect(conflicts.contains("dossier.recoded"), "\(conflicts)")
        #expect(try site.run(["node", "log", "verify", "--data-dir", node]).status == 0)
    }
}
