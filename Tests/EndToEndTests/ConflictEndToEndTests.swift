import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import Testing

/// Conflict review end to end with real processes: a conflict between two communes and the hub,
/// reached by honest commands only, settled at the owner and shown settled everywhere after sync.
@Suite(.serialized) struct ConflictEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// Phường Hàm Thắng forwards a dossier to phường Bình Thuận, which accepts it. Hàm Thắng's
    /// machine is then restored from a backup taken while it still owned the dossier, and a clerk
    /// hands the dossier over there. The heal re-appends that hand-over after the forward, where
    /// Hàm Thắng no longer owns the dossier: every replica records the same conflict. Hàm Thắng
    /// cannot settle it; Bình Thuận, the owner, dismisses it; after sync all three show it dismissed
    /// with one state hash.
    @Test func aConflictBetweenTwoCommunesIsSettledAtTheOwnerAndShownSettledEverywhere() throws {
        let site = try Site.lamDong()
        defer { site.remove() }
        let sender = site.dir("xa-22933")
        let owner = site.dir("xa-22960")

        let code = try SyncEndToEndTests.receive(site, "xa-22933", applicant: "Lê Thị Mai")
        try site.run(["node", "sync", "--data-dir", sender])
        try site.run(["node", "backup", site.root + "/before-forward.sqlite", "--data-dir", sender])
        try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", sender])
        try site.run(["dossier", "forward", code, "--to", "22960", "--actor", "cb-tuphap-01", "--data-dir", sender])
        try site.run(["node", "sync", "--data-dir", sender])
        try site.run(["node", "sync", "--data-dir", owner])
        try site.run(["dossier", "accept", code, "--actor", "cb-tiepnhan-01", "--data-dir", owner])
        try site.run(["node", "sync", "--data-dir", owner])

        // The restored machine still owns the dossier as far as it knows: the hand-over is accepted
        // locally, as it must be at a counter with no link.
        try site.restore(sender, from: site.root + "/before-forward.sqlite")
        try site.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-02", "--data-dir", sender])
        try site.run(["node", "sync", "--data-dir", sender])
        try site.run(["node", "sync", "--data-dir", owner])

        // The same conflict, with the same id, at both communes and the hub.
        func open(_ directory: String) throws -> [JSONValue] {
            try site.run(["conflicts", "list", "--json", "--data-dir", directory]).stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        }
        let atSender = try open(sender)
        #expect(atSender.count == 1, "\(atSender)")
        let id = try #require(atSender.first?["id"]?.stringValue)
        #expect(id.hasPrefix("xa-22933-"))
        #expect(atSender.first?["dossier"]?.stringValue == code)
        #expect(atSender.first?["type"]?.stringValue == "dossier.handedOver")
        #expect(try open(owner).compactMap { $0["id"]?.stringValue } == [id])
        try Eventually.wait(for: "the hub's projector to fold the conflict") {
            try open(site.hubDir).compactMap { $0["id"]?.stringValue } == [id]
        }
        let shown = try site.run(["conflicts", "show", id, "--data-dir", owner]).stdout
        #expect(shown.contains("Other side  owner xa-22960"), "\(shown)")
        #expect(shown.contains("Lý do       ") && shown.contains("Reason      "), "\(shown)")
        #expect(try site.run(["dossier", "show", code, "--data-dir", owner]).stdout.contains("đang có xung đột"))

        // Only the owner (or the hub operator) settles it; a refusal writes nothing.
        let head = try site.database("xa-22933").head(origin: "xa-22933")?.seq
        let refused = try CLIProcess.run([
            "conflicts", "resolve", id, "--dismiss", "--note", "Máy được khôi phục từ bản sao lưu", "--actor", "cb-tiepnhan-01", "--data-dir", sender,
        ])
        #expect(refused.status == 65, "\(refused.stdout) \(refused.stderr)")
        #expect(try site.database("xa-22933").head(origin: "xa-22933")?.seq == head)
        try site.run([
            "conflicts", "resolve", id, "--dismiss", "--note", "Hồ sơ đã chuyển sang phường Bình Thuận; bàn giao trên máy khôi phục không còn hiệu lực",
            "--actor", "cb-tiepnhan-01", "--data-dir", owner,
        ])
        try site.run(["node", "sync", "--data-dir", owner])
        try site.run(["node", "sync", "--data-dir", sender])

        // Settled everywhere: none open, the resolution listed as dismissed, one state hash.
        for directory in [sender, owner] {
            #expect(try open(directory).isEmpty, "\(directory)")
            let all = try site.run(["conflicts", "list", "--all", "--json", "--data-dir", directory]).stdout
            #expect(all.contains(#""resolution":"dismissed""#), "\(directory): \(all)")
        }
        try Eventually.wait(for: "the hub to fold the resolution") { try open(site.hubDir).isEmpty }
        #expect(try site.run(["conflicts", "show", id, "--json", "--data-dir", site.hubDir]).stdout.contains(#""resolution":"dismissed""#))
        let hashes = try [sender, owner].map { directory in try #require(try NodeDatabase(path: directory + "/node.sqlite").stateHashes()[code]) }
        try Eventually.wait(for: "one state hash at the hub and both communes") {
            let atHub = try site.hubDatabase().stateHashes()[code]
            return hashes.allSatisfy { $0 == atHub }
        }
        #expect(try !site.run(["dossier", "show", code, "--data-dir", sender]).stdout.contains("đang có xung đột"))
        #expect(site.hub?.terminate() == 0)
    }
}
