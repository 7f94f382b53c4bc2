import Foundation
import LienThongHub
import LienThongStore
import Testing

/// Each role's database holds its own tables and the event log they share, nothing of the other's
/// (issue 22): a commune's `node.sqlite` has no hub table, the hub's `hub.sqlite` no node table.
@Suite struct SchemaTests {
    /// The event log, its projections and the heartbeat: in both.
    static let shared: Set<String> = [
        "event", "checkpoint", "originKey", "localIdentity", "clock", "heartbeat", "dossierCounter", "dossierView", "conflictView", "handoverView",
    ]
    static let nodeOnly: Set<String> = [
        "hubLink", "syncCursor", "feedPage", "feedEntry", "syncAttempt", "apiReplay", "healing", "forkHeal", "forkedEvent",
    ]
    static let hubOnly: Set<String> = [
        "hubNode", "enrolmentToken", "feed", "feedBase", "dossierAudience", "quarantine", "fencedEpoch", "projector", "cloneSuspicion",
        "cloneEvidence", "hubRecovery", "hubReturned", "hubReturnReport",
    ]

    @Test func theNodeAndTheHubEachHoldTheirOwnTablesAndTheSharedLog() throws {
        let node = Set(try NodeDatabase.inMemory().tableNames())
        let hub = Set(try HubDatabase.inMemory().tableNames())
        #expect(node == Self.shared.union(Self.nodeOnly))
        #expect(hub == Self.shared.union(Self.hubOnly))
        #expect(node.isDisjoint(with: Self.hubOnly))
        #expect(hub.isDisjoint(with: Self.nodeOnly))
    }

    @Test func aFileOfTheOtherRoleIsRefusedAndLeftAsItWas() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hubPath = directory.appendingPathComponent("hub.sqlite").path
        let nodePath = directory.appendingPathComponent("node.sqlite").path
        let hubTables = try HubDatabase(path: hubPath).tableNames()
        let nodeTables = try NodeDatabase(path: nodePath).tableNames()
        #expect {
            try NodeDatabase(path: hubPath)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("another kind of LienThong database") && text.contains("hub.v1.nodesAndFeeds")
        }
        #expect(throws: StoreError.self) { try HubDatabase(path: nodePath) }
        #expect(try HubDatabase(path: hubPath).tableNames() == hubTables)
        #expect(try NodeDatabase(path: nodePath).tableNames() == nodeTables)
    }
}
