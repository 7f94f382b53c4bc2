import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

@Suite struct EventLogTests {
    static let identity = LocalIdentity(
        origin: "xa-23059", epoch: "5f3c1a7e9b2d4c6e8f0a1b2c3d4e5f60", agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm",
        createdAt: 1_795_000_000_000)

    static func database(key: SigningKey = Fixtures.testKey()) throws -> NodeDatabase {
        let database = try NodeDatabase.inMemory()
        try database.initialize(identity: identity, publicKey: key.publicKey)
        return database
    }

    static func appendNotes(_ database: NodeDatabase, count: Int, perTransaction: Int = 1, clock: TestClock = TestClock()) throws {
        var written = 0
        while written < count {
            let batch = min(perTransaction, count - written)
            try database.append(
                (0..<batch).map { Fixtures.note("Ghi chú số \(written + $0 + 1)") }, key: Fixtures.testKey(), wallMilliseconds: clock.now)
            written += batch
        }
    }

    @Test func appendsContiguousLinkedSignedEvents() throws {
        let database = try Self.database()
        let clock = TestClock()
        try Self.appendNotes(database, count: 10, perTransaction: 3, clock: clock)
        let events = try database.recentEvents(limit: 100)
        #expect(events.map(\.seq) == Array(1...10))
        #expect(events.first?.prev == Event.genesisHash)
        for (previous, event) in zip(events, events.dropFirst()) {
            #expect(event.prev == previous.hash)
            #expect(event.hlc > previous.hlc)
        }
        #expect(events.allSatisfy { $0.hashIsValid && $0.epoch == Self.identity.epoch && $0.origin == "xa-23059" })
        // One checkpoint per transaction: 3 + 3 + 3 + 1.
        #expect(try database.checkpoints(origin: "xa-23059").map(\.seq) == [3, 6, 9, 10])
        let report = try database.verify()
        #expect(report.isIntact)
        #expect(report.eventCount == 10 && report.checkpointCount == 4)
        #expect(try database.head(origin: "xa-23059")?.seq == 10)
    }

    @Test(arguments: ["event", "checkpoint", "originKey"])
    func logTablesRefuseUpdateAndDelete(table: String) throws {
        let database = try Self.database()
        try Self.appendNotes(database, count: 2)
        for sql in ["UPDATE \(table) SET origin = 'xa-99999'", "DELETE FROM \(table)"] {
            #expect {
                try database.writer.write { db in try db.execute(sql: sql) }
            } throws: { error in
                (error as? DatabaseError)?.message?.contains("\(table) is append-only") == true
            }
        }
        #expect(try database.verify().isIntact)
        #expect(try database.eventCount() == 2)
    }

    @Test func refusedDraftWritesNothing() throws {
        let database = try Self.database()
        try Self.appendNotes(database, count: 3)
        let before = try database.head(origin: "xa-23059")
        let bad = [Fixtures.note("ok"), EventDraft(dossier: "bad code with spaces", type: "dossier.note", actor: "cb-01")]
        #expect {
            try database.append(bad, key: Fixtures.testKey(), wallMilliseconds: TestClock().now)
        } throws: { error in
            guard case .invalidEvent(let validation) = error as? StoreError else { return false }
            return validation.field == "dossier"
        }
        #expect(throws: StoreError.self) {
            try database.append(
                [EventDraft(dossier: "D-1", type: "dossier.fromTheFuture", actor: "cb-01")], key: Fixtures.testKey(), wallMilliseconds: TestClock().now)
        }
        #expect(try database.head(origin: "xa-23059")?.seq == before?.seq)
        #expect(try database.eventCount() == 3)
        #expect(try database.checkpoints(origin: "xa-23059").count == 3)
    }

    @Test func aForeignKeyCannotSign() throws {
        let database = try Self.database()
        #expect {
            try database.append([Fixtures.note("x")], key: SigningKey(), wallMilliseconds: TestClock().now)
        } throws: { error in
            if case .keyMismatch = error as? StoreError { return true }
            return false
        }
        #expect(try database.eventCount() == 0)
    }

    @Test func aFlippedByteIsFoundAtItsSeq() throws {
        let database = try Self.database()
        try Self.appendNotes(database, count: 30, perTransaction: 4)
        try database.writer.write { db in try Tamper.flipByte(ofEvent: 17, at: "Ghi chú số 17", in: db) }  // 'G' → 'F'
        let report = try database.verify()
        #expect(report.firstProblem?.seq == 17)
        #expect(report.firstProblem?.reason.contains("altered") == true)
        // One damaged event is reported once: the events after it still link to its recorded hash.
        #expect(report.problems.map(\.seq) == [17])
    }

    @Test func aCorruptedCheckpointSignatureIsFound() throws {
        let database = try Self.database()
        try Self.appendNotes(database, count: 12, perTransaction: 4)
        try database.writer.write { db in try Tamper.corruptCheckpointSignature(seq: 8, in: db) }
        let report = try database.verify()
        #expect(report.problems.map(\.seq) == [8])
        #expect(report.firstProblem?.reason.contains("signature") == true)
    }

    @Test func aRemovedEventBreaksTheChainAtTheGap() throws {
        let database = try Self.database()
        try Self.appendNotes(database, count: 6)
        try database.writer.write { db in
            try db.execute(sql: "DROP TRIGGER event_refuse_delete")
            try db.execute(sql: "DELETE FROM event WHERE seq = 4")
        }
        let report = try database.verify()
        #expect(report.firstProblem?.seq == 4)  // the checkpoint at 4 names a missing event
        #expect(report.problems.contains { $0.seq == 5 && $0.reason.contains("not contiguous") })
    }

    @Test func eventsAppendedWithoutACheckpointAreReported() throws {
        let database = try Self.database()
        try Self.appendNotes(database, count: 3)
        let head = try #require(try database.head(origin: "xa-23059"))
        // A forger without the key can add a well-formed, correctly chained event, but cannot sign it.
        let forged = Event(
            origin: "xa-23059", epoch: Self.identity.epoch, seq: 4, hlc: HLC(physical: 1_795_000_000_999, counter: 0),
            dossier: "23059-261122-0001", type: "dossier.note", actor: "cb-01", body: ["text": "giả mạo"], prev: head.hash)
        try database.writer.write { db in
            try db.execute(
                sql: "INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [forged.origin, forged.seq, forged.epoch, forged.hlc.hex, forged.dossier, forged.type, forged.hash, Data(forged.storedBytes)])
        }
        let report = try database.verify()
        #expect(report.problems.map(\.seq) == [4])
        #expect(report.firstProblem?.reason.contains("not covered by a signed checkpoint") == true)
    }
}
