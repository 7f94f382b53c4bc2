import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

/// DESIGN §5's restore healing at size, with real processes: the commune's machine is restored
/// from a backup taken 1,000 events ago and keeps receiving offline; reconnecting heals the fork.
@Suite(.serialized) struct ForkEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// Back up Ma Lâm's node, sync 1,000 more events, restore the backup, write 50 events offline
    /// (20 receipts, whose codes the hub already holds, and 30 hand-overs on them), reconnect:
    /// all 1,050 events at the hub and the node with the same hashes, the 50 kept as evidence and
    /// re-appended, each reused code re-issued with an open conflict, the fork reported.
    @Test func aNodeRestoredFromABackup1000EventsOldLosesNothingOfTheThousandOrOfTheFifty() throws {
        let site = try Site()
        defer { site.remove() }
        let node = site.dir("xa-23059")
        let origin = "xa-23059"
        try site.initHub()
        try site.initNode(origin, agency: "23059", office: "UBND thị trấn Ma Lâm")
        try site.startHub()
        try site.enroll(origin)
        try site.run(["node", "backup", site.root + "/backup.sqlite", "--data-dir", node])

        // 1,000 receipts through the real write path, all stored at the hub.
        let loaded = try site.run(["demo", "load", "--dossiers", "1000", "--receive-only", "--data-dir", node]).stdout
        #expect(loaded.contains("1000 event(s)"), "\(loaded)")
        try site.run(["node", "sync", "--data-dir", node])
        let thousand = try SyncEndToEndTests.hashes(of: origin, in: site.hubDatabase())
        #expect(thousand.count == 1_000)
        try Eventually.wait(for: "the hub's projector to fold the 1,000 dossiers") { try site.hubDatabase().stateHashes().count == 1_000 }
        let codesBefore = Set(try site.hubDatabase().stateHashes().keys)

        // Restore the backup over the live database; the counter keeps working offline.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: node + "/node.sqlite" + suffix) }
        try FileManager.default.copyItem(atPath: site.root + "/backup.sqlite", toPath: node + "/node.sqlite")
        var offline: [String] = []
        for index in 0..<20 {
            offline.append(try SyncEndToEndTests.receive(site, origin, applicant: "Nguyễn Thị Hoa \(index + 1)"))
        }
        #expect(Set(offline).isSubset(of: codesBefore), "the restored counter reuses codes the hub holds")
        for code in offline {
            try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", node])
        }
        for code in offline.prefix(10) {
            try site.run(["dossier", "process", code, "--to", "ct-ubnd", "--actor", "cb-tuphap-01", "--data-dir", node])
        }
        let branch = try SyncEndToEndTests.hashes(of: origin, in: site.database(origin))
        #expect(branch.count == 50)

        // Reconnect.
        let sync = try CLIProcess.run(["node", "sync", "--data-dir", node])
        #expect(sync.status == 0, "\(sync.stdout) \(sync.stderr)")

        let hub = try site.hubDatabase()
        let local = try site.database(origin)
        let atHub = try SyncEndToEndTests.hashes(of: origin, in: hub)
        // The thousand, untouched, at the same seqs; the node holds exactly what the hub holds.
        #expect(thousand.allSatisfy { atHub[$0.key] == $0.value })
        #expect(try SyncEndToEndTests.hashes(of: origin, in: local) == atHub)
        // The fifty: kept as evidence at the node, and each re-appended (`replaces`) at both.
        #expect(Set(try local.forkedEventHashes()) == Set(branch.values))
        #expect(Set(try hub.replacedHashes()) == Set(branch.values))
        #expect(Set(try local.replacedHashes()) == Set(branch.values))
        // 1,000 + 50 re-appended + one `dossier.recoded` per reused code.
        #expect(atHub.count == 1_000 + 50 + 20, "\(atHub.count)")

        // Every reused code re-issued above every code seen, with an open conflict to reprint.
        let conflicts = try local.conflicts(openOnly: true)
        #expect(conflicts.count == 20)
        #expect(conflicts.allSatisfy { $0.type == "dossier.recoded" })
        let recodedTo = Set(conflicts.map(\.dossier))
        #expect(recodedTo.isDisjoint(with: codesBefore))
        #expect(recodedTo.count == 20)
        let states = try local.stateHashes()
        #expect(states.count == 1_020)
        try Eventually.wait(for: "the hub's projector to fold all 1,020 dossiers as the node does") { try hub.stateHashes() == states }
        // The offline work applies to the re-issued dossiers: both hand-overs of the first ten.
        let handled = try recodedTo.map { code in try #require(try local.dossier(code)) }
        #expect(handled.filter { $0.handovers.last?.toActor == "ct-ubnd" && $0.handovers.count == 3 }.count == 10, "\(handled.map { $0.handovers.map(\.toActor) })")
        #expect(handled.filter { $0.handovers.last?.toActor == "cb-tuphap-01" && $0.handovers.count == 2 }.count == 10)
        #expect(Set(handled.map(\.applicant.name)) == Set((1...20).map { "Nguyễn Thị Hoa \($0)" }))

        // Reported in `status` (and the log verifies).
        let status = try CLIProcess.run(["status", "--json", "--data-dir", node])
        let report = try JSONParser.parse(status.stdout)
        #expect(report["facts"]?["lastHeal"]?["summary"] != nil, "\(status.stdout)")
        guard case .array(let findings)? = report["findings"] else { Issue.record("no findings: \(status.stdout)"); return }
        #expect(findings.contains { $0["code"]?.stringValue == "fork-healed" }, "\(status.stdout)")
        #expect(try site.run(["node", "log", "verify", "--data-dir", node]).stdout.hasPrefix("OK"))
        #expect(site.hub?.terminate() == 0)
    }
}
