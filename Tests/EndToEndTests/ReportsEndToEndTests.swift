import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

/// Reports, documents and published calendars with real `lienthong` processes: a hub and a
/// commune on loopback, each with its own SQLite file.
@Suite struct ReportsEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    static func today() -> LocalDate { TestDate.today }

    @Test func theSameEventsGiveByteIdenticalReportsAtTheCommuneAndAtTheHub() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        let node = site.dir("xa-23059")
        try site.run(["demo", "load", "--dossiers", "40", "--seed", "7", "--data-dir", node])
        try site.startHub()
        try site.enroll("xa-23059")
        try site.run(["node", "sync", "--data-dir", node])
        // The district decides one forwarded dossier; the commune pulls the decision.
        let forwarded = try #require(try site.database("xa-23059").dossiers(DossierFilter(status: .forwarded, limit: 1)).first?.code)
        try site.run(["hub", "dossier", "accept", forwarded, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        try site.run(["hub", "dossier", "resolve", forwarded, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDir])
        try site.run(["node", "sync", "--data-dir", node])

        let period = ["--from", Self.today().adding(days: -30).iso, "--to", Self.today().iso]
        for format in ["table", "csv", "json"] {
            let atNode = try site.run(["report", "06a", "--format", format, "--data-dir", node] + period)
            let atHub = try site.run(["report", "06a", "--commune", "23059", "--format", format, "--data-dir", site.hubDir] + period)
            #expect(atNode.stdout == atHub.stdout, "\(format) differs between the commune and the hub")
            #expect(atNode.stdout.contains("UBND thị trấn Ma Lâm (23059)"))
        }
        let field = try site.run(["report", "06a", "--field", "ho-tich", "--format", "csv", "--data-dir", node] + period)
        #expect(
            field.stdout
                == (try site.run(["report", "06a", "--commune", "xa-23059", "--field", "ho-tich", "--format", "csv", "--data-dir", site.hubDir] + period))
                .stdout)

        // The figures: every dossier received today, the decision among the resolved.
        let json = try JSONParser.parse(Array(try site.run(["report", "06a", "--format", "json", "--data-dir", node] + period).stdout.utf8))
        let total = try #require(json["rows"]?.arrayValue?.last?["figures"])
        #expect(total["received"]?["total"]?.integerValue == 40)
        let resolved = total["resolved"]?["total"]?.integerValue ?? 0
        let pending = total["pending"]?["total"]?.integerValue ?? 0
        #expect(resolved + pending == 40)
        #expect(resolved >= 1)
        let csv = try site.run(["report", "06a", "--format", "csv", "--data-dir", node] + period).stdout
        #expect(csv.hasPrefix("\u{FEFF}\"BIỂU II.06a — TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH\"\r\n"))
        #expect(csv.contains("STT,Lĩnh vực,Số hồ sơ nhận giải quyết - Tổng số"))
        #expect(csv.contains("\r\n"))

        // Bad input: a clear error naming the option, and nothing printed as a report.
        let backwards = try CLIProcess.run(["report", "06a", "--from", "2026-03-31", "--to", "2026-01-01", "--data-dir", node])
        #expect(backwards.status == 64 && backwards.stderr.contains("--to: expected a day on or after --from"))
        let future = try CLIProcess.run([
            "report", "06a", "--from", Self.today().adding(days: -30).iso, "--to", Self.today().adding(days: 1).iso, "--data-dir", node,
        ])
        #expect(future.status == 64 && future.stderr.contains("pending dossiers are judged at the end"))
        let unknown = try CLIProcess.run(["report", "06a", "--commune", "99999", "--data-dir", site.hubDir] + period)
        #expect(unknown.status == 64 && unknown.stderr.contains("--commune: expected a commune's agency code"))
        let another = try CLIProcess.run(["report", "06a", "--commune", "23062", "--data-dir", node] + period)
        #expect(another.status == 64 && another.stderr.contains("reports only its own dossiers"))

        // Due soon: who holds each dossier, the same at both.
        let dueAtNode = try JSONParser.parse(Array(try site.run(["report", "due", "--within", "30d", "--format", "json", "--data-dir", node]).stdout.utf8))
        let dueAtHub = try JSONParser.parse(
            Array(try site.run(["report", "due", "--within", "30d", "--commune", "23059", "--format", "json", "--data-dir", site.hubDir]).stdout.utf8))
        // Officers' names are each office's own staff list: the hub prints a commune officer's id only.
        func withoutNames(_ rows: [JSONValue]?) -> [JSONValue] {
            (rows ?? []).map { row in
                guard case .object(var fields) = row else { return row }
                fields["officerName"] = nil
                return .object(fields)
            }
        }
        let rows = try #require(dueAtNode["rows"]?.arrayValue)
        #expect(!rows.isEmpty)
        #expect(withoutNames(rows) == withoutNames(dueAtHub["rows"]?.arrayValue))
        #expect(rows.contains { $0["officerName"]?.stringValue == "Nguyễn Thị Lan" })
        #expect(rows.allSatisfy { !($0["office"]?.stringValue ?? "").isEmpty })
        #expect(rows.contains { $0["officer"]?.stringValue?.isEmpty == false && $0["step"]?.stringValue?.isEmpty == false })
        let table = try site.run(["report", "due", "--within", "30d", "--data-dir", node]).stdout
        #expect(table.contains("DANH SÁCH HỒ SƠ SẮP ĐẾN HẠN"))
        #expect(table.contains("Cán bộ xử lý"))
        #expect(site.hub?.terminate() == 0)
    }

    @Test func aCalendarPublishedWhileACommuneIsOfflineReachesItAndItsNextReceiptUsesIt() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        let node = site.dir("xa-23059")
        try site.startHub()
        try site.enroll("xa-23059")
        func receive() throws -> String {
            try SyncEndToEndTests.receive(site, "xa-23059", applicant: "Phạm Thị Yến")
        }
        func dossier(_ code: String) throws -> DossierState { try #require(try site.database("xa-23059").dossier(code)) }
        let first = try receive()
        try site.run(["node", "sync", "--data-dir", node])

        // The link goes down; the district publishes a calendar that makes the next three working
        // days, today first, days off (a swap announced late).
        #expect(site.hub?.terminate() == 0)
        let shipped = try Fixtures.calendar()
        let file = site.root + "/calendar-2026.2.json"
        let content = try Fixtures.calendarFile(version: "2026.2-e2e", daysOff: Fixtures.workingDays(3, from: Self.today(), calendar: shipped))
        try content.write(to: URL(fileURLWithPath: file))
        let bad = site.root + "/bad.json"
        try Data(#"{"calendar":"x","version":"1","timeZone":"Asia/Bangkok","officeHours":[],"weekendDays":[],"years":[]}"#.utf8).write(
            to: URL(fileURLWithPath: bad))
        let refused = try CLIProcess.run(["hub", "publish", "calendar", bad, "--actor", "vh-hethong", "--data-dir", site.hubDir])
        #expect(refused.status == 64 && refused.stderr.contains("timeZone") && refused.stderr.contains("nothing was published"), "\(refused.stderr)")
        let published = try site.run(["hub", "publish", "calendar", file, "--actor", "vh-hethong", "--data-dir", site.hubDir])
        #expect(published.stdout.contains("Published calendar 2026.2-e2e"))
        #expect(try site.run(["hub", "publish", "calendar", file, "--actor", "vh-hethong", "--data-dir", site.hubDir]).stdout.contains("already published"))

        // Offline, the counter goes on with the calendar it has.
        let offline = try receive()
        #expect(try dossier(offline).calendarVersion == "2026.1")
        try site.startHub()
        try site.run(["node", "sync", "--data-dir", node])
        let next = try receive()
        let state = try dossier(next)
        #expect(state.calendarVersion == "2026.2-e2e")
        let calendar = try WorkingCalendar.load(content, file: file)
        let duration = try #require(try Fixtures.workflow().catalogue.procedure(code: "1.001776")?.duration)
        #expect(state.appointment == WorkingTime(calendar: calendar).deadline(of: duration, from: try #require(state.receivedAt)))
        #expect(state.appointment != WorkingTime(calendar: shipped).deadline(of: duration, from: try #require(state.receivedAt)))
        // Earlier dossiers keep their appointments.
        for code in [first, offline] {
            let earlier = try dossier(code)
            #expect(earlier.appointment == WorkingTime(calendar: shipped).deadline(of: duration, from: try #require(earlier.receivedAt)))
        }
        #expect(try CLIProcess.run(["node", "log", "verify", "--data-dir", node]).status == 0)
        #expect(site.hub?.terminate() == 0)
    }
}
