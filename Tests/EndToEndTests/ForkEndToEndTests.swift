import Foundation
import GRDB
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import Testing

/// DESIGN §5's restore healing at size, with real processes: the commune's machine is restored
/// from a backup taken 1,000 events ago and keeps receiving offline; reconnecting heals the fork.
@Suite(.serialized) struct ForkEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// Back up Ma Lâm's node, sync 1,000 more events, restore the backup, write 50 events offline
    /// (20 receipts, whose codes the hub already holds, and 30 hand-overs on them), reconnect:
    /// all 1,050 events at the hub and the node with the same hashes (1,070 with the 20
    /// `dossier.recoded`), the 50 kept as evidence and re-appended, each reused code re-issued with
    /// an open conflict, the fork reported.
    @Test func aNodeRestoredFromABackup1000EventsOldLosesNothingOfTheThousandOrOfTheFifty() throws {
        let site = try StatusEndToEndTests.start()
        defer { site.remove() }
        let node = site.dir("xa-23059")
        let origin = "xa-23059"
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
        try site.restore(node, from: site.root + "/backup.sqlite")
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
        #expect(
            handled.filter { $0.handovers.last?.toActor == "ct-ubnd" && $0.handovers.count == 3 }.count == 10, "\(handled.map { $0.handovers.map(\.toActor) })")
        #expect(handled.filter { $0.handovers.last?.toActor == "cb-tuphap-01" && $0.handovers.count == 2 }.count == 10)
        #expect(Set(handled.map(\.applicant.name)) == Set((1...20).map { "Nguyễn Thị Hoa \($0)" }))

        // Reported in `status` (and the log verifies).
        let status = try CLIProcess.run(["status", "--json", "--data-dir", node])
        let report = try JSONParser.parse(status.stdout)
        #expect(report["facts"]?["lastHeal"]?["summary"] != nil, "\(status.stdout)")
        guard case .array(let findings)? = report["findings"] else {
            Issue.record("no findings: \(status.stdout)")
            return
        }
        #expect(findings.contains { $0["code"]?.stringValue == "fork-healed" }, "\(status.stdout)")
        #expect(try site.run(["node", "log", "verify", "--data-dir", node]).stdout.hasPrefix("OK"))
        #expect(site.hub?.terminate() == 0)
    }
}

extension ForkEndToEndTests {
    static func facts(_ directory: String) throws -> JSONValue {
        try JSONParser.parse(CLIProcess.run(["status", "--json", "--skip-verify", "--data-dir", directory]).stdout)
    }

    /// DESIGN §5's clone with real processes: Ma Lâm's data directory is copied to a second
    /// machine and both keep receiving, their histories interleaved. The hub answers
    /// clone-suspected and holds every push of the origin as evidence; the copy heals into a new
    /// epoch (re-issuing the code it reused); `hub fork resolve --keep` keeps the copy's epoch, whose
    /// held pushes then enter the chain, and fences the original, whose pushes answer epoch-fenced.
    @Test func aClonedMachineIsHeldUntilTheOperatorKeepsOneEpochThenTheOtherIsFenced() throws {
        let site = try StatusEndToEndTests.start()
        defer { site.remove() }
        let origin = "xa-23059"
        let original = site.dir(origin)
        let copy = site.dir("copy")
        _ = try SyncEndToEndTests.receive(site, origin, applicant: "Trần Văn Chung")
        try site.run(["node", "sync", "--data-dir", original])
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let epoch = try #require(try Self.facts(original)["facts"]?["epoch"]?.stringValue)
        #expect(try Self.facts(copy)["facts"]?["epoch"]?.stringValue == epoch)

        // The copy receives first, the original after it and syncs first: interleaved histories.
        let onCopy = try SyncEndToEndTests.receive(site, "copy", applicant: "Phạm Thị Bản Sao")
        let onOriginal = try SyncEndToEndTests.receive(site, origin, applicant: "Lê Văn Gốc")
        try site.run(["node", "sync", "--data-dir", original])

        let copySync = try CLIProcess.run(["node", "sync", "--data-dir", copy])
        #expect(copySync.status == 1, "\(copySync.stdout) \(copySync.stderr)")
        #expect(copySync.stderr.contains("clone-suspected"), "\(copySync.stderr)")
        // The copy healed into a new epoch: the hub's events taken back, its own branch re-appended.
        let copyEpoch = try #require(try Self.facts(copy)["facts"]?["epoch"]?.stringValue)
        #expect(copyEpoch != epoch)
        #expect(try site.database("copy").forkedEventHashes().count == 1)
        // Held: the original's next pushes are held too, whatever it writes.
        _ = try SyncEndToEndTests.receive(site, origin, applicant: "Lê Văn Sau")
        let originalSync = try CLIProcess.run(["node", "sync", "--data-dir", original])
        #expect(originalSync.status == 1, "\(originalSync.stdout) \(originalSync.stderr)")
        #expect(originalSync.stderr.contains("clone-suspected"))
        let storedBefore = try SyncEndToEndTests.hashes(of: origin, in: site.hubDatabase())
        #expect(storedBefore.count == 2)

        // The operator sees both epochs, CRITICAL in `hub status`.
        let listed = try site.run(["hub", "fork", "list", "--json", "--data-dir", site.hubDir]).stdout
        let suspicion = try JSONParser.parse(listed.trimmingCharacters(in: .newlines))
        #expect(suspicion["origin"]?.stringValue == origin)
        guard case .array(let sides)? = suspicion["sides"] else {
            Issue.record("no sides: \(listed)")
            return
        }
        #expect(Set(sides.compactMap { $0["epoch"]?.stringValue }) == [epoch, copyEpoch], "\(listed)")
        // The copy's re-appended receipt and the `dossier.recoded` that re-issues its code.
        #expect(sides.first { $0["epoch"]?.stringValue == copyEpoch }?["held"]?.integerValue == 2, "\(listed)")
        let hubStatus = try CLIProcess.run(["hub", "status", "--json", "--data-dir", site.hubDir])
        #expect(hubStatus.status == 2)
        #expect(hubStatus.stdout.contains(#""code":"clone-suspected""#), "\(hubStatus.stdout)")
        #expect(try CLIProcess.run(["status", "--json", "--skip-verify", "--data-dir", original]).stdout.contains(#""code":"clone-suspected""#))

        // A wrong epoch or actor changes nothing.
        let wrong = try CLIProcess.run(["hub", "fork", "resolve", origin, "--keep", "no-such-epoch", "--actor", "vh-hethong", "--data-dir", site.hubDir])
        #expect(wrong.status == 64, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("expected one of"), "\(wrong.stderr)")
        let stranger = try CLIProcess.run(["hub", "fork", "resolve", origin, "--keep", copyEpoch, "--actor", "nobody", "--data-dir", site.hubDir])
        #expect(stranger.status == 64, "\(stranger.stderr)")
        #expect(try site.hubDatabase().cloneSuspicions(openOnly: true).count == 1)

        // Keep the copy: its held pushes enter the chain; the original is fenced.
        let kept = try site.run(["hub", "fork", "resolve", origin, "--keep", copyEpoch, "--actor", "vh-hethong", "--data-dir", site.hubDir]).stdout
        #expect(kept.contains("Fenced \(epoch)"), "\(kept)")
        let resumed = try CLIProcess.run(["node", "sync", "--data-dir", copy])
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        let fenced = try CLIProcess.run(["node", "sync", "--data-dir", original])
        #expect(fenced.status == 1)
        #expect(fenced.stderr.contains("epoch-fenced"), "\(fenced.stderr)")
        let fencedStatus = try CLIProcess.run(["status", "--json", "--skip-verify", "--data-dir", original])
        #expect(fencedStatus.status == 2)
        #expect(fencedStatus.stdout.contains(#""code":"epoch-fenced""#), "\(fencedStatus.stdout)")

        // Nothing lost: the hub's two events stay, the copy's re-appended receipt follows them, the
        // copy holds exactly the hub's chain, and the original's unsent receipt is evidence at the hub.
        let atHub = try SyncEndToEndTests.hashes(of: origin, in: site.hubDatabase())
        #expect(storedBefore.allSatisfy { atHub[$0.key] == $0.value })
        #expect(try SyncEndToEndTests.hashes(of: origin, in: site.database("copy")) == atHub)
        let recoded = try site.database("copy").conflicts(openOnly: true)
        #expect(onCopy == onOriginal, "both machines issued the same next code")
        #expect(recoded.map(\.type) == ["dossier.recoded"], "the copy re-issues the code it reused")
        let settled = try JSONParser.parse(
            site.run(["hub", "fork", "list", "--all", "--json", "--data-dir", site.hubDir]).stdout.trimmingCharacters(in: .newlines))
        #expect(settled["keptEpoch"]?.stringValue == copyEpoch)
        guard case .array(let after)? = settled["sides"] else {
            Issue.record("no sides: \(settled)")
            return
        }
        // The original's receipt written while held (its seq 3) is kept as evidence.
        #expect((after.first { $0["epoch"]?.stringValue == epoch }?["held"]?.integerValue ?? 0) >= 1, "\(settled)")
        try Eventually.wait(for: "the hub to fold the copy's dossiers as the copy does") {
            let copyStates = try site.database("copy").stateHashes()
            let hubStates = try site.hubDatabase().stateHashes()
            return copyStates.allSatisfy { hubStates[$0.key] == $0.value }
        }
        for directory in [copy, original, site.hubDir] {
            #expect(try CLIProcess.run(["node", "log", "verify", "--data-dir", directory]).stdout.hasPrefix("OK"), "\(directory)")
        }
        #expect(site.hub?.terminate() == 0)
    }
}
