import Foundation
import LienThongCore
import LienThongTesting
import Testing

@Suite struct WorkingTimeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var received: String
        var duration: ProcedureDuration
        var expected: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "during office hours", received: "2026-11-23 08:00", duration: .workingDays(3), expected: "2026-11-26 08:00"),
        Case(name: "after 17:00 counts from the next working morning", received: "2026-11-23 17:30", duration: .workingDays(1), expected: "2026-11-24 17:00"),
        Case(name: "during the lunch break counts from 13:30", received: "2026-11-23 12:00", duration: .workingHours(2), expected: "2026-11-23 15:30"),
        Case(name: "Friday afternoon runs into Monday", received: "2026-11-27 15:00", duration: .workingDays(1), expected: "2026-11-30 15:00"),
        Case(name: "on a Sunday counts from Monday morning", received: "2026-11-22 10:00", duration: .workingDays(1), expected: "2026-11-23 17:00"),
        Case(name: "the week of Tết 2026 is skipped", received: "2026-02-12 10:00", duration: .workingDays(3), expected: "2026-02-24 10:00"),
        Case(name: "a swapped working Saturday counts", received: "2026-01-09 16:00", duration: .workingHours(2), expected: "2026-01-10 08:00"),
        Case(name: "a swapped-off Friday does not", received: "2026-01-02 09:00", duration: .workingHours(1), expected: "2026-01-05 08:00"),
        Case(
            name: "a calendar-day deadline on a holiday moves to the next working day", received: "2026-03-31 10:00", duration: .calendarDays(30),
            expected: "2026-05-04 17:00"),
        Case(name: "a calendar-day deadline on a working day", received: "2026-11-23 10:00", duration: .calendarDays(10), expected: "2026-12-03 17:00"),
        Case(name: "a procedure with no appointment", received: "2026-11-23 10:00", duration: .none, expected: nil),
        Case(name: "counting that ends at closing time ends there", received: "2026-11-23 07:00", duration: .workingDays(1), expected: "2026-11-23 17:00"),
    ]

    @Test(arguments: cases)
    func appointment(_ example: Case) throws {
        let time = WorkingTime(calendar: try Fixtures.calendar())
        let deadline = time.deadline(of: example.duration, from: Fixtures.vietnam(example.received))
        #expect(deadline.map(Fixtures.vietnamText) == example.expected)
    }

    @Test func aMachineInUTCGetsVietnamDatesAndHours() throws {
        // 23:30 UTC on the 23rd is 06:30 on the 24th in Vietnam: before opening, so counting starts
        // at 07:00 on the 24th, and the dossier code carries 261124. Nothing here reads the host's zone.
        let instant = Int64(LocalDate(iso: "2026-11-23")!.dayNumber) * 86_400_000 + (23 * 60 + 30) * 60_000  // 2026-11-23T23:30:00Z
        #expect(LocalDate(vietnamTimeOf: instant).iso == "2026-11-24")
        #expect(DossierCode.make(agency: "23059", date: LocalDate(vietnamTimeOf: instant), counter: 7) == "23059-261124-0007")
        let time = WorkingTime(calendar: try Fixtures.calendar())
        #expect(Fixtures.vietnamText(time.startOfCounting(instant)) == "2026-11-24 07:00")
    }

    /// Regression: the publication tests make `Fixtures.workingDays(3, from: today)` days off and
    /// expect the next receipt's appointment to move. Days off from tomorrow did not move a receipt
    /// made before office hours on a working day (due the same day), and CI running at 00:02 in
    /// Vietnam failed. Every hour of two weeks around a weekend, a worked Saturday and a holiday.
    @Test func daysOffFromTodayMoveTheAppointmentOfAReceiptAtAnyHour() throws {
        let shipped = try Fixtures.calendar()
        let time = WorkingTime(calendar: shipped)
        let start = Int64(LocalDate(iso: "2026-04-20")!.dayNumber) * 86_400_000 - 7 * 3_600_000  // 00:00 in Vietnam
        for hour in 0..<(14 * 24) {
            let instant = start + Int64(hour) * 3_600_000 + 17 * 60_000
            let today = LocalDate(vietnamTimeOf: instant)
            let off = Fixtures.workingDays(3, from: today, calendar: shipped)
            let published = WorkingTime(calendar: try WorkingCalendar.load(try Fixtures.calendarFile(version: "t", daysOff: off), file: "t.json"))
            for duration in [ProcedureDuration.workingDays(1), .workingDays(3)] {
                let before = time.deadline(of: duration, from: instant)
                let after = published.deadline(of: duration, from: instant)
                #expect(
                    before != nil && after != nil && after! > before!,
                    "\(Fixtures.vietnamText(instant)), \(duration): \(before.map(Fixtures.vietnamText) ?? "none") → \(after.map(Fixtures.vietnamText) ?? "none")"
                )
            }
        }
    }

    @Test func supplementPausesOrRestartsTheClockAsTheProcedureSays() throws {
        for policy in SupplementPolicy.allCases {
            let procedure = Procedure(
                code: "test.1", name: "Thủ tục thử", fieldCode: "thu", fieldName: "Thử", decidingLevel: .commune, duration: .workingDays(3),
                supplement: policy, steps: [ProcedureStep(id: "xu-ly", name: "Xử lý", hours: 24)], documents: ["Tờ khai"])
            let workflow = try Fixtures.workflow(catalogue: ProcedureCatalogue(name: "test", version: "t1", procedures: [procedure]))
            var log = EventLogBuilder(origin: "xa-23059")
            let intake = Workflow.Intake(
                procedureCode: "test.1", applicantName: "Nguyễn Văn An", idNumber: "060090001234", phone: "0912345678", address: "thôn 1",
                documents: ["Tờ khai"], channel: .counter)
            let code = "23059-261123-0001"
            log.add(try workflow.receive(intake, code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-11-23 08:00")))
            #expect(DossierFold.fold(code: code, events: log.events).appointment.map(Fixtures.vietnamText) == "2026-11-26 08:00")
            log.add(
                try workflow.draft(
                    .requestSupplement(reason: "thiếu giấy tờ", documents: []), code: code, events: log.events, actor: "cb-tuphap-01",
                    now: Fixtures.vietnam("2026-11-24 08:00")))
            log.add(
                try workflow.draft(
                    .supplementReceived(to: nil), code: code, events: log.events, actor: "cb-tuphap-01", now: Fixtures.vietnam("2026-11-30 08:00")))
            let state = DossierFold.fold(code: code, events: log.events)
            #expect(state.status == .processing)
            // Pause: 16 working hours were left on Tuesday 08:00, counted again from Monday 08:00.
            // Restart: the full 3 working days from Monday 08:00.
            let expected = policy == .pause ? "2026-12-02 08:00" : "2026-12-03 08:00"
            #expect(state.appointment.map(Fixtures.vietnamText) == expected, "policy \(policy)")
        }
    }

    @Test func shippedCalendarCoversTheYearsAndMarksTheUnannouncedOneProvisional() throws {
        let calendar = try Fixtures.calendar()
        for year in 2025...2027 { #expect(calendar.covers(year)) }
        #expect(!calendar.isProvisional(2026))
        #expect(calendar.isProvisional(2027))
        #expect(calendar.minutesPerDay == 480)
        #expect(!calendar.isWorkingDay(LocalDate(iso: "2026-09-02")!))
        #expect(calendar.isWorkingDay(LocalDate(iso: "2026-08-22")!))
    }

    @Test func badCalendarFilesNameTheField() throws {
        let text = #"{"calendar":"x","version":"1","timeZone":"UTC","officeHours":[],"weekendDays":[],"years":[]}"#
        #expect(throws: ConfigError.self) { try WorkingCalendar.load(Data(text.utf8), file: "bad.json") }
        do {
            _ = try WorkingCalendar.load(Data(text.utf8), file: "bad.json")
        } catch {
            #expect(error.field == "timeZone")
        }
    }

    @Test func dossierCodesHaveFourToSevenDigitCounters() {
        let date = LocalDate(iso: "2026-11-22")!
        #expect(DossierCode.make(agency: "23059", date: date, counter: 1) == "23059-261122-0001")
        #expect(DossierCode.make(agency: "23059", date: date, counter: 12345) == "23059-261122-12345")
        #expect(DossierCode.make(agency: "23059", date: date, counter: 10_000_000) == nil)
        #expect(DossierCode.parse("000.00.01.H12-261122-0042")?.counter == 42)
        #expect(DossierCode.parse("000.00.01.H12-261122-0042")?.agency == "000.00.01.H12")
        #expect(DossierCode.parse("23059-2611-0001") == nil)
    }
}
