import Foundation
import LienThongCore
import LienThongTesting
import Testing

/// `report overdue` and `report due`: who holds each late or nearly due dossier.
@Suite struct DueListTests {
    static func dossiers() throws -> [DossierState] {
        let workflow = try Fixtures.workflow()
        var log = EventLogBuilder(origin: "xa-23059")
        var states: [DossierState] = []
        func dossier(_ number: Int, procedure: String, received: String, _ commands: [(Workflow.Command, String)]) throws {
            let code = "23059-260105-000\(number)"
            var events = [
                log.add(try workflow.receive(Fixtures.intake(procedure: procedure), code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam(received)))
            ]
            for (command, at) in commands {
                events.append(log.add(try workflow.draft(command, code: code, events: events, actor: "cb-tiepnhan-01", now: Fixtures.vietnam(at))))
            }
            states.append(DossierFold.fold(code: code, events: events))
        }
        // Birth registration (1 working day): due 08:00 on the 6th.
        try dossier(1, procedure: "1.001193", received: "2026-01-05 08:00", [(.process(to: "cb-tuphap-01", step: nil), "2026-01-05 09:00")])
        // The same, but waiting for the citizen's papers: the clock is stopped.
        try dossier(
            2, procedure: "1.001193", received: "2026-01-05 08:00", [(.requestSupplement(reason: "Thiếu giấy chứng sinh", documents: []), "2026-01-05 09:00")])
        // The same, resolved: nothing is due.
        try dossier(3, procedure: "1.001193", received: "2026-01-05 08:00", [(.resolve(approved: true, reason: ""), "2026-01-07 09:00")])
        // Death registration (3 working days) received on the 8th: due on the 12th (the 10th is worked).
        try dossier(4, procedure: "1.000656", received: "2026-01-08 09:00", [])
        // Received the same morning, extended to the 20th: due then, not on the 12th.
        try dossier(
            5, procedure: "1.000656", received: "2026-01-08 09:00",
            [(.extend(until: LocalDate(iso: "2026-01-20")!, reason: "Cần xác minh"), "2026-01-08 10:00")])
        return states
    }

    static let names = ["cb-tuphap-01": "Trần Văn Hùng", "cb-tiepnhan-01": "Nguyễn Thị Lan"]

    @Test func overdueNamesTheOfficeTheStepAndTheOfficerAndSkipsAPausedClock() throws {
        let now = Fixtures.vietnam("2026-01-08 10:00")
        let list = DueList(try Self.dossiers(), now: now, dueBy: nil, officeNames: ["xa-23059": "UBND thị trấn Ma Lâm"], staffNames: Self.names)
        #expect(list.rows.map(\.code) == ["23059-260105-0001"])
        let row = try #require(list.rows.first)
        #expect(row.days == 2)
        #expect(row.office == "xa-23059" && row.officeName == "UBND thị trấn Ma Lâm")
        #expect(row.step == "Thẩm định, xử lý")
        #expect(row.officer == "cb-tuphap-01" && row.officerName == "Trần Văn Hùng")
        #expect(list.table.contains("quá 2 ngày"))
        #expect(list.table.contains("Trần Văn Hùng (cb-tuphap-01)"))
        #expect(list.csv.hasPrefix("\u{FEFF}DANH SÁCH HỒ SƠ QUÁ HẠN\r\n"))
    }

    @Test func dueListsWhatIsDueByTheLimitAndNotYetOverdue() throws {
        let now = Fixtures.vietnam("2026-01-08 10:00")
        let time = WorkingTime(calendar: try Fixtures.calendar())
        let today = LocalDate(vietnamTimeOf: now)
        let within3 = DueList(try Self.dossiers(), now: now, dueBy: time.endOfWorkingDays(3, after: today), officeNames: [:], staffNames: Self.names)
        #expect(within3.rows.map(\.code) == ["23059-260105-0004"])
        #expect(within3.rows.first?.days == 4)  // due on Monday the 12th: Saturday the 10th is a worked day
        let within10 = DueList(try Self.dossiers(), now: now, dueBy: time.endOfWorkingDays(10, after: today), officeNames: [:], staffNames: Self.names)
        #expect(within10.rows.map(\.code) == ["23059-260105-0004", "23059-260105-0005"])
        #expect(within10.rows.last?.extended == true)
        #expect(within10.table.contains("(đã gia hạn)"))
    }
}
