import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

@Suite struct DossierStoreTests {
    static let intake = Workflow.Intake(
        procedureCode: "1.001193", applicantName: "Nguyễn Văn An", idNumber: "060090001234", phone: "0912345678", address: "thôn 1, Ma Lâm",
        documents: ["Tờ khai đăng ký khai sinh"], channel: .counter)

    static func newDatabase(path: String? = nil) throws -> NodeDatabase {
        let database = try path.map { try NodeDatabase(path: $0) } ?? NodeDatabase.inMemory()
        try database.initialize(identity: EventLogTests.identity, publicKey: Fixtures.testKey().publicKey)
        return database
    }

    @Test func codesCountPerAgencyPerVietnamDayAndSurviveRestarts() throws {
        let directory = try FileDatabaseTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/node.sqlite"
        let workflow = try Fixtures.workflow()
        let clock = TestClock(milliseconds: UInt64(Fixtures.vietnam("2026-11-23 08:00")))
        var database = try Self.newDatabase(path: path)
        var codes: [String] = []
        for _ in 0..<2 {
            codes.append(
                try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code)
        }
        database = try NodeDatabase(path: path)  // a restart: nothing cached
        codes.append(
            try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code)
        // 23:59 Vietnam time is still the 23rd; one minute later the counter starts again.
        clock.set(UInt64(Fixtures.vietnam("2026-11-23 23:59")))
        codes.append(
            try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code)
        clock.set(UInt64(Fixtures.vietnam("2026-11-24 00:00")))
        codes.append(
            try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code)
        // Another agency's counter is its own.
        var other = workflow
        other.agencyCode = "23062"
        codes.append(
            try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: other, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code)
        #expect(
            codes == [
                "23059-261123-0001", "23059-261123-0002", "23059-261123-0003", "23059-261123-0004", "23059-261124-0001", "23062-261124-0001",
            ])
    }

    /// `dossier list --overdue` and `report overdue` agree: waiting for the citizen's supplement
    /// stops the clock, so such a dossier is not overdue even past its appointment.
    @Test func aDossierWaitingForASupplementIsNotListedOverdue() throws {
        let database = try Self.newDatabase()
        let workflow = try Fixtures.workflow()
        let clock = TestClock(milliseconds: UInt64(Fixtures.vietnam("2026-01-05 08:00")))
        let late = try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state
            .code
        let waiting = try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state
            .code
        _ = try database.perform(
            .requestSupplement(reason: "Thiếu giấy chứng sinh", documents: []), on: waiting, actor: "cb-tiepnhan-01", workflow: workflow,
            key: Fixtures.testKey(), wallMilliseconds: clock.now)
        let later = Fixtures.vietnam("2026-01-09 08:00")
        #expect(try database.dossiers(DossierFilter(overdueAt: later)).map(\.code) == [late])
        #expect(try database.dossier(waiting)?.isOverdue(at: later) == false)
        #expect(try database.dossier(late)?.isOverdue(at: later) == true)
    }

    @Test func aRefusedCommandWritesNothing() throws {
        let database = try Self.newDatabase()
        let workflow = try Fixtures.workflow()
        let clock = TestClock(milliseconds: UInt64(Fixtures.vietnam("2026-11-23 08:00")))
        let code = try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state
            .code
        let before = (try database.eventCount(), try database.head(origin: "xa-23059")?.hash, try database.projectionRows())
        var badIntake = Self.intake
        badIntake.procedureCode = "9.999999"
        let attempts: [() throws -> Void] = [
            { _ = try database.receive(badIntake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now) },
            {
                _ = try database.perform(
                    .returnResult, on: code, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now)
            },
            {
                _ = try database.perform(
                    .process(to: "nobody", step: nil), on: code, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(),
                    wallMilliseconds: clock.now)
            },
            {
                _ = try database.perform(
                    .note("x"), on: "23059-261123-9999", actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now)
            },
        ]
        for attempt in attempts {
            #expect(throws: StoreError.self) { try attempt() }
        }
        let after = (try database.eventCount(), try database.head(origin: "xa-23059")?.hash, try database.projectionRows())
        #expect(before.0 == after.0)
        #expect(before.1 == after.1)
        #expect(before.2 == after.2)
        // The refused receive did not use up a code either.
        #expect(
            try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code
                == "23059-261123-0002")
    }

    /// A full disk (SQLite's `SQLITE_FULL`, reached here through `max_page_count`, a limit SQLite
    /// enforces as it would a full file system) refuses a write with `diskFull`, whose text says
    /// so and that nothing was written; nothing was, and the next write after room returns works.
    @Test func aFullDiskRefusesTheWriteAndNothingIsWritten() throws {
        let directory = try FileDatabaseTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try Self.newDatabase(path: directory + "/node.sqlite")
        let workflow = try Fixtures.workflow()
        let clock = TestClock(milliseconds: UInt64(Fixtures.vietnam("2026-11-23 08:00")))
        func receive() throws -> String {
            try database.receive(Self.intake, actor: "cb-tiepnhan-01", workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code
        }
        _ = try receive()
        let pages = try database.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)") }
        var refusal: StoreError?
        var written = 1
        for _ in 0..<500 {
            do {
                _ = try receive()
                written += 1
            } catch {
                refusal = error as? StoreError
                break
            }
        }
        let full = try #require(refusal)
        guard case .diskFull = full else {
            Issue.record("expected diskFull, got \(full)")
            return
        }
        #expect(full.description.contains("disk holding the database is full"))
        #expect(full.description.contains("nothing was written"))
        #expect(try database.eventCount() == written)
        #expect(try database.dossiers(DossierFilter()).count == written)
        #expect(try database.verify().isIntact)
        try database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        #expect(try receive() == "23059-261123-\(LocalDate.pad(written + 1, 4))")
    }

    @Test func rebuildYieldsIdenticalProjections() throws {
        let database = try Self.newDatabase()
        let workflow = try Fixtures.workflow()
        let clock = TestClock(milliseconds: UInt64(Fixtures.vietnam("2026-11-23 08:00")))
        var generator = DemoGenerator(seed: 7, workflow: workflow)
        for _ in 0..<60 {
            let plan = generator.next()
            let code = try database.receive(plan.intake, actor: plan.clerk, workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now).state.code
            for (command, actor) in plan.commands {
                clock.advance(by: 20 * 60_000)
                _ = try database.perform(command, on: code, actor: actor, workflow: workflow, key: Fixtures.testKey(), wallMilliseconds: clock.now)
            }
        }
        let before = try database.projectionRows()
        #expect(before.filter { $0.hasPrefix("dossierView") }.count == 60)
        #expect(before.contains { $0.hasPrefix("handoverView") })
        #expect(try database.rebuildProjections() == 60)
        #expect(try database.projectionRows() == before)
        let list = try database.dossiers(DossierFilter(status: .forwarded))
        #expect(!list.isEmpty)
        #expect(list.allSatisfy { $0.status == .forwarded })
    }
}
