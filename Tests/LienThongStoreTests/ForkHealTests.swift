import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

/// Healing a fork at the node (DESIGN §5) over real SQLite files: a machine restored from a backup
/// wrote on top of seqs the hub already holds.
@Suite struct ForkHealTests {
    /// A directory, the commune's workflow and key, a clock at 08:00 on 2026-11-23 and a wall
    /// clock reading of it that moves a minute at each read.
    static func setUp() throws -> (directory: String, workflow: Workflow, key: SigningKey, clock: TestClock, tick: () -> UInt64) {
        let clock = TestClock(milliseconds: UInt64(Fixtures.vietnam("2026-11-23 08:00")))
        let tick = {
            clock.advance(by: 60_000)
            return clock.now()
        }
        return (try FileDatabaseTests.temporaryDirectory(), try Fixtures.workflow(), Fixtures.testKey(), clock, tick)
    }

    @Test func aRestoredNodeTakesItsEventsBackAndReappendsItsBranchWithANewCode() throws {
        let (directory, workflow, key, clock, tick) = try Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try DossierStoreTests.newDatabase(path: directory + "/node.sqlite")
        let first = try original.receive(DossierStoreTests.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: tick)
        _ = try original.backup(to: directory + "/backup.sqlite")
        // After the backup the machine received 23059-261123-0002 and pushed it (the hub holds seqs 1–3).
        let second = try original.receive(DossierStoreTests.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: tick)
        _ = try original.perform(.note("đã gọi điện"), on: second.state.code, actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: tick)
        let held = try original.events(origin: "xa-23059", fromSeq: 1)
        #expect(held.count == 3)
        #expect(second.state.code == "23059-261123-0002")

        // The disk dies; the backup is restored and the clerk works on: 0002 is issued again.
        let restored = try NodeDatabase(path: directory + "/backup.sqlite")
        let again = try restored.receive(DossierStoreTests.intake, actor: "cb-tiepnhan-02", workflow: workflow, key: key, wallMilliseconds: tick)
        #expect(again.state.code == "23059-261123-0002")
        _ = try restored.perform(.note("công dân gọi lại"), on: again.state.code, actor: "cb-tiepnhan-02", workflow: workflow, key: key, wallMilliseconds: tick)
        let branch = try restored.events(origin: "xa-23059", fromSeq: 2)

        let report = try #require(
            try restored.healFork(
                hubEvents: Array(held.dropFirst()), hubHead: (held[2].seq, held[2].hash), fromSeq: 2, checkpoints: try original.checkpoints(origin: "xa-23059"),
                keys: [EventLogTests.identity.epoch: key.publicKey.hex], newEpoch: "fedcba9876543210fedcba9876543210", key: key,
                wallMilliseconds: tick, now: Int64(clock.now())))
        #expect(report.divergedAt == 2)
        #expect(report.tookBack == 2)
        #expect(report.branchEvents == 2)
        #expect(report.recoded.map { "\($0.from)>\($0.to)" } == ["23059-261123-0002>23059-261123-0003"])

        // The hub's events stand at seqs 1–3; the branch follows in the new epoch, recoded.
        let log = try restored.events(origin: "xa-23059", fromSeq: 1)
        #expect(log.prefix(3).map(\.hash) == held.map(\.hash))
        #expect(log.dropFirst(3).map(\.type) == ["dossier.received", "dossier.recoded", "dossier.note"])
        #expect(log.dropFirst(3).allSatisfy { $0.epoch == "fedcba9876543210fedcba9876543210" && $0.dossier == "23059-261123-0003" })
        #expect(log[3].body["replaces"]?.stringValue == branch[0].hash)
        #expect(log[5].body["replaces"]?.stringValue == branch[1].hash)
        #expect(log[3].body["receivedAt"] == branch[0].body["receivedAt"])
        #expect(try restored.forkedEventHashes() == branch.map(\.hash))
        #expect(try restored.syncCursor().storedSeq == 3)
        #expect(try restored.verify().isIntact)

        // The re-issued dossier waits for the clerk to print a new receipt; the other is the hub's.
        let recoded = try #require(try restored.dossier("23059-261123-0003"))
        #expect(recoded.openConflicts.map(\.type) == ["dossier.recoded"])
        #expect(recoded.openConflicts.first?.reasonVietnamese.contains("in lại giấy tiếp nhận") == true)
        #expect(try restored.dossier("23059-261123-0002")?.stateHash == original.dossier("23059-261123-0002")?.stateHash)
        #expect(try restored.dossier(first.state.code)?.stateHash == original.dossier(first.state.code)?.stateHash)
        // The counter resumes above every code seen.
        let next = try restored.receive(DossierStoreTests.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: tick)
        #expect(next.state.code == "23059-261123-0004")
        // Status reports the heal.
        let facts = try restored.statusFacts(now: Int64(clock.now()), workingTime: workflow.workingTime, verifyChain: false)
        #expect(StatusReport.evaluate(facts, thresholds: StatusThresholds()).findings.contains { $0.code == "fork-healed" })
        // Outside a heal the log still refuses DELETE.
        #expect(throws: (any Error).self) { try restored.writer.write { db in try db.execute(sql: "DELETE FROM event WHERE seq = 1") } }
        #expect(throws: (any Error).self) { try restored.writer.write { db in try db.execute(sql: "DELETE FROM forkedEvent") } }
    }

    @Test func aRestoredNodeThatWroteNothingOnlyTakesBackWhatItLacks() throws {
        let (directory, workflow, key, clock, tick) = try Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try DossierStoreTests.newDatabase(path: directory + "/node.sqlite")
        _ = try original.receive(DossierStoreTests.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: tick)
        _ = try original.backup(to: directory + "/backup.sqlite")
        _ = try original.receive(DossierStoreTests.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: tick)
        let held = try original.events(origin: "xa-23059", fromSeq: 1)
        let restored = try NodeDatabase(path: directory + "/backup.sqlite")
        let report = try #require(
            try restored.healFork(
                hubEvents: [held[1]], hubHead: (2, held[1].hash), fromSeq: 2, checkpoints: try original.checkpoints(origin: "xa-23059"), keys: [:],
                newEpoch: "fedcba9876543210fedcba9876543210", key: key, wallMilliseconds: tick, now: Int64(clock.now())))
        #expect(report.branchEvents == 0)
        #expect(report.tookBack == 1)
        #expect(report.newEpoch == report.oldEpoch)
        #expect(try restored.events(origin: "xa-23059", fromSeq: 1).map(\.hash) == held.map(\.hash))
        // A second answer changes nothing.
        #expect(
            try restored.healFork(
                hubEvents: [held[1]], hubHead: (2, held[1].hash), fromSeq: 2, checkpoints: [], keys: [:], newEpoch: "00", key: key,
                wallMilliseconds: tick, now: Int64(clock.now())) == nil)
    }
}
