import Foundation
import GRDB
import LienThongTesting
import Testing

/// `lienthong node init` and `lienthong hub init` make databases of their own role: what
/// `sqlite3 FILE .tables` lists (read here with SQLite directly, not through the store).
@Suite struct SchemaEndToEndTests {
    static func tables(_ path: String) throws -> Set<String> {
        var configuration = Configuration()
        configuration.readonly = true
        return Set(
            try DatabaseQueue(path: path, configuration: configuration).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'")
            })
    }

    @Test func aFreshNodeHoldsNoHubTableAndAFreshHubNoNodeTable() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let node = try CLIProcess.run(["node", "init", "--config", Fixtures.packageRoot.path + "/Config/node.example.json", "--data-dir", root + "/node"])
        #expect(node.status == 0, "\(node.stderr)")
        let hub = try CLIProcess.run(["hub", "init", "--config", Fixtures.packageRoot.path + "/Config/hub.example.json", "--data-dir", root + "/hub"])
        #expect(hub.status == 0, "\(hub.stderr)")
        let nodeTables = try Self.tables(root + "/node/node.sqlite")
        let hubTables = try Self.tables(root + "/hub/hub.sqlite")
        for table in ["hubNode", "enrolmentToken", "feed", "dossierAudience", "quarantine", "projector", "cloneSuspicion", "hubRecovery"] {
            #expect(!nodeTables.contains(table), "node.sqlite holds the hub's \(table)")
            #expect(hubTables.contains(table))
        }
        for table in ["hubLink", "syncCursor", "feedPage", "feedEntry", "syncAttempt", "apiReplay", "forkedEvent"] {
            #expect(!hubTables.contains(table), "hub.sqlite holds the node's \(table)")
            #expect(nodeTables.contains(table))
        }
        #expect(nodeTables.contains("event") && hubTables.contains("event"))

        // A node command pointed at the hub's directory says so, and changes nothing.
        let wrong = try CLIProcess.run(["node", "status", "--data-dir", root + "/hub"])
        #expect(wrong.status != 0)
        #expect(try Self.tables(root + "/hub/hub.sqlite") == hubTables)
    }
}
