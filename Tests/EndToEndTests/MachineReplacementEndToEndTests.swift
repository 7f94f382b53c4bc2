import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync
import LienThongTesting
import Testing

/// A commune PC dies or is stolen: `hub revoke`, `hub enroll --replace` and `node recover` on a new
/// machine, with real processes and a real hub on loopback.
@Suite(.serialized) struct MachineReplacementEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    @Test func aNewMachineTakesOverWithEveryDossierANewEpochAndTheOldCredentialRefused() async throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        let old = site.dir("xa-23059")
        try site.run(["demo", "load", "--dossiers", "30", "--seed", "5", "--data-dir", old])
        try site.startHub()
        try site.enroll("xa-23059")
        try site.run(["node", "sync", "--data-dir", old])
        // A district decision, so the feed holds something to take back too.
        let forwarded = try #require(try site.database("xa-23059").dossiers(DossierFilter(status: .forwarded, limit: 1)).first?.code)
        try site.run(["hub", "dossier", "accept", forwarded, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        // `hub dossier show` lists the decision as undelivered until the commune pulls it.
        let waiting = try site.run(["hub", "dossier", "show", forwarded, "--data-dir", site.hubDir]).stdout
        #expect(waiting.contains("to xa-23059: hub-597-"), "\(waiting)")
        #expect(waiting.contains("dossier.accepted, made"))
        try site.run(["node", "sync", "--data-dir", old])
        #expect(try site.run(["hub", "dossier", "show", forwarded, "--data-dir", site.hubDir]).stdout.contains("Undelivered none"))

        let before = try site.database("xa-23059")
        let oldEpoch = try #require(try before.identity()).epoch
        let oldHead = try #require(try before.head(origin: "xa-23059")).seq
        let dossiers = try before.dossiers(DossierFilter(limit: 10_000)).map(\.code)
        let hashes = try Dictionary(uniqueKeysWithValues: dossiers.map { ($0, try #require(try before.dossier($0)).stateHash) })
        #expect(dossiers.count >= 30)
        let oldCredential = try String(contentsOfFile: old + "/credential", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        // The machine dies: its whole data directory is gone.
        try FileManager.default.removeItem(atPath: old)

        // Enrolling the node again without --replace is refused and changes nothing.
        let plain = try CLIProcess.run(["hub", "enroll", "xa-23059", "--data-dir", site.hubDir])
        #expect(plain.status == 64)
        #expect(plain.stderr.contains("--replace"), "\(plain.stderr)")
        let token = try site.run(["hub", "enroll", "xa-23059", "--replace", "--data-dir", site.hubDir]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // The old machine's credential is refused from now on, and says why.
        let stale = HubClient(baseURL: try #require(URL(string: site.url)), credential: oldCredential, node: "xa-23059")
        do {
            _ = try await stale.pull(since: 0, limit: 10, wait: 0)
            Issue.record("the revoked credential was accepted")
        } catch {
            guard case .status(401, let body) = error else { throw error }
            #expect(body?.message.contains("revoked") == true)
        }

        // The new machine: `node init` with the same office (a new key and epoch), then recover.
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        let recovered = try site.run(["node", "recover", "--hub", site.url, "--token", token, "--data-dir", old])
        #expect(recovered.stdout.contains("Took back \(oldHead) own events"), "\(recovered.stdout)")
        let after = try site.database("xa-23059")
        let newEpoch = try #require(try after.identity()).epoch
        #expect(newEpoch != oldEpoch)
        for code in dossiers { #expect(try after.dossier(code)?.stateHash == hashes[code], "\(code)") }
        #expect(try after.events(ofDossier: forwarded).contains { $0.type == "dossier.accepted" })
        #expect(try after.verify().isIntact)
        try site.run(["node", "log", "verify", "--data-dir", old])

        // Work goes on: the next dossier continues the chain under the new epoch, with a new code.
        let receipt = try site.run(DossierEndToEndTests.receiveArguments(dataDir: old)).stdout
        let code = try #require(DossierEndToEndTests.code(in: receipt))
        #expect(!dossiers.contains(code))
        let next = try #require(try after.events(ofDossier: code).first)
        #expect(next.seq == oldHead + 1)
        #expect(next.epoch == newEpoch)
        try site.run(["node", "sync", "--data-dir", old])
        #expect(try site.hubDatabase().head(origin: "xa-23059")?.seq == oldHead + 1)
        #expect(try site.hubDatabase().verify().isIntact)
    }

    @Test func aRevokedNodeIsRefusedAtItsNextRequestAndStatusSaysSo() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23062", agency: "23062", office: "UBND thị trấn Phú Long")
        try site.startHub()
        // A second token issued before the node enrolled must not enrol another machine afterwards.
        let spare = try site.run(["hub", "enroll", "xa-23062", "--data-dir", site.hubDir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try site.enroll("xa-23062")
        let node = site.dir("xa-23062")
        let intruder = site.root + "/intruder"
        try site.run([
            "node", "init", "--config", Fixtures.packageRoot.path + "/Config/node.example.json", "--node-id", "xa-23062", "--agency", "23062",
            "--office", "UBND thị trấn Phú Long", "--data-dir", intruder,
        ])
        let second = try CLIProcess.run(["node", "enroll", "--hub", site.url, "--token", spare, "--data-dir", intruder])
        #expect(second.status == 64)
        #expect(second.stderr.contains("--replace"), "\(second.stderr)")
        try site.run(["node", "sync", "--data-dir", node])

        #expect(try site.run(["hub", "revoke", "xa-23062", "--data-dir", site.hubDir]).stdout.contains("Revoked xa-23062"))
        let again = try CLIProcess.run(["hub", "revoke", "xa-23062", "--data-dir", site.hubDir])
        #expect(again.status == 64)
        // Revoking spends the node's unused tokens too.
        let afterRevoke = try CLIProcess.run(["node", "enroll", "--hub", site.url, "--token", spare, "--data-dir", intruder])
        #expect(afterRevoke.status == 64)
        #expect(afterRevoke.stderr.contains("used already"), "\(afterRevoke.stderr)")

        let sync = try CLIProcess.run(["node", "sync", "--data-dir", node])
        #expect(sync.status == 1)
        #expect(sync.stderr.contains("revoked"), "\(sync.stderr)")
        let status = try StatusEndToEndTests.status(["status", "--data-dir", node])
        #expect(status.exitCode == 2)
        #expect(status.codes.contains("pull-refused"))
        #expect(try site.run(["hub", "nodes", "--data-dir", site.hubDir]).stdout.contains("revoked"))
    }
}
