import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import Testing

/// DESIGN §5 with real processes: the hub restored from a backup takes its own lost decisions back
/// from the communes — from several, in turns — before it decides again, and the communes push
/// again what it lost of theirs.
@Suite(.serialized) struct HubRestoreEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// Ma Lâm and Phú Long each forward a dossier to the district; the hub is backed up; the
    /// district then decides on both (its seq 1 on Ma Lâm's dossier, 2 and 3 on Phú Long's), the
    /// communes pull the decisions, and Ma Lâm receives one more dossier. The hub is stopped and
    /// restored from the backup: its decisions are refused and `hub status` warns until both
    /// communes have synced. Phú Long syncs first (seqs 2 and 3 wait for 1), then Ma Lâm (seq 1
    /// arrives and the chain is whole; its lost dossier is pushed again). The district decides
    /// again after its own chain; every replica verifies and agrees.
    @Test func aRestoredHubTakesItsDecisionsBackFromTheCommunesBeforeDecidingAgain() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        let communes = Array(SyncEndToEndTests.communes.prefix(2))
        for (node, agency, office) in communes { try site.initNode(node, agency: agency, office: office) }
        try site.startHub()
        for (node, _, _) in communes { try site.enroll(node) }
        let maLam = site.dir("xa-23059")
        let phuLong = site.dir("xa-23062")

        var codes: [String: String] = [:]
        for (node, _, _) in communes {
            let code = try SyncEndToEndTests.receive(site, node, applicant: "Nguyễn Văn An")
            try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", site.dir(node)])
            try site.run(["dossier", "forward", code, "--to", "597", "--actor", "cb-tuphap-01", "--data-dir", site.dir(node)])
            try site.run(["node", "sync", "--data-dir", site.dir(node)])
            codes[node] = code
        }
        let backup = site.root + "/hub-backup.sqlite"
        #expect(try site.run(["hub", "backup", backup, "--data-dir", site.hubDir]).stdout.contains("Backed up"))

        let ours = try #require(codes["xa-23059"])
        let theirs = try #require(codes["xa-23062"])
        try site.run(["hub", "dossier", "accept", ours, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        try site.run(["hub", "dossier", "accept", theirs, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        try site.run(["hub", "dossier", "resolve", theirs, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDir])
        try site.run(["node", "sync", "--data-dir", maLam])
        try site.run(["node", "sync", "--data-dir", phuLong])
        let decisions = try site.hubDatabase().events(origin: "hub-597", fromSeq: 1)
        #expect(decisions.count == 3)
        let late = try SyncEndToEndTests.receive(site, "xa-23059", applicant: "Phạm Thị Hoa")
        try site.run(["node", "sync", "--data-dir", maLam])
        let maLamHead = try site.database("xa-23059").head(origin: "xa-23059")

        // Restoring refuses while the hub runs; stopped, the backup goes in.
        let running = try CLIProcess.run(["hub", "restore", backup, "--data-dir", site.hubDir])
        #expect(running.status == 64, "\(running.stdout) \(running.stderr)")
        #expect(running.stderr.contains("stop it before restoring"), "\(running.stderr)")
        #expect(site.hub?.terminate() == 0)
        let restore = try site.run(["hub", "restore", backup, "--data-dir", site.hubDir]).stdout
        #expect(restore.contains("its own decisions up to seq 0"), "\(restore)")
        #expect(restore.contains("xa-23059, xa-23062"), "\(restore)")
        #expect(try site.hubDatabase().head(origin: "hub-597") == nil)
        try site.startHub()

        let refused = try CLIProcess.run(["hub", "dossier", "resolve", ours, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDir])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("restored from a backup"), "\(refused.stderr)")
        let warning = try CLIProcess.run(["hub", "status", "--data-dir", site.hubDir])
        #expect(warning.status == 1, "\(warning.stdout) \(warning.stderr)")
        #expect(warning.stdout.contains("hub-recovering") && warning.stdout.contains("xa-23059, xa-23062"), "\(warning.stdout)")

        // Phú Long first: the hub's seqs 2 and 3 wait for seq 1, which only Ma Lâm holds.
        try site.run(["node", "sync", "--data-dir", phuLong])
        #expect(try site.hubDatabase().head(origin: "hub-597") == nil)
        let waiting = try #require(try site.hubDatabase().hubRecovery())
        #expect(waiting.isOpen && waiting.waitingFor == ["xa-23059"] && waiting.heldAside == 2)

        // Ma Lâm: seq 1 comes back, the chain is whole; its dossier the restore lost is pushed again.
        try site.run(["node", "sync", "--data-dir", maLam])
        #expect(try site.hubDatabase().events(origin: "hub-597", fromSeq: 1).map(\.hash) == decisions.map(\.hash))
        #expect(try site.hubDatabase().head(origin: "xa-23059")?.hash == maLamHead?.hash)
        #expect(try site.hubDatabase().hubRecovery()?.finishedBy == "every commune returned")

        // The district decides again, after its own chain; both communes pull.
        try site.run(["hub", "dossier", "resolve", ours, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDir])
        let next = try #require(try site.hubDatabase().events(origin: "hub-597", fromSeq: 4).first)
        #expect(next.prev == decisions.last?.hash)
        try site.run(["node", "sync", "--data-dir", maLam])
        try site.run(["node", "sync", "--data-dir", phuLong])
        try Eventually.wait(for: "the hub's projector to fold every dossier") {
            let hub = try site.hubDatabase().stateHashes()
            let atMaLam = try site.database("xa-23059").stateHashes()
            let atPhuLong = try site.database("xa-23062").stateHashes()
            return hub[ours] == atMaLam[ours] && hub[theirs] == atPhuLong[theirs] && hub[late] != nil
        }
        for directory in [maLam, phuLong] {
            let verify = try CLIProcess.run(["node", "log", "verify", "--data-dir", directory])
            #expect(verify.status == 0, "\(directory): \(verify.stdout) \(verify.stderr)")
        }
        #expect(try site.hubDatabase().verify().firstProblem == nil)
        let healthy = try CLIProcess.run(["hub", "status", "--data-dir", site.hubDir])
        #expect(!healthy.stdout.contains("hub-recovering"), "\(healthy.stdout)")
        #expect(site.hub?.terminate() == 0)
    }
}
