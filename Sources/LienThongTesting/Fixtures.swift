import Foundation
import LienThongCore

/// Paths to the committed test fixtures.
public enum Fixtures {
    /// The package's root directory, found from this source file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures/vectors.json`.
    public static var vectorsURL: URL { packageRoot.appendingPathComponent("Tests/Fixtures/vectors.json") }

    /// `Config/staff.example.json`.
    public static var staffExampleURL: URL { packageRoot.appendingPathComponent("Config/staff.example.json") }

    /// The shipped working calendar, procedure catalogue and topology.
    public static var calendarURL: URL { packageRoot.appendingPathComponent("Config/calendar/vn-2025-2027.json") }
    public static var proceduresURL: URL { packageRoot.appendingPathComponent("Config/procedures/commune-2025.json") }
    public static var topologyURL: URL { packageRoot.appendingPathComponent("Config/topology/ham-thuan-bac-2024.json") }

    /// `node init` options naming the shipped configuration files, so tests do not depend on the
    /// working directory.
    public static var configArguments: [String] {
        ["--calendar", calendarURL.path, "--procedures", proceduresURL.path, "--topology", topologyURL.path]
    }

    public static func calendar() throws -> WorkingCalendar {
        try WorkingCalendar.load(try Data(contentsOf: calendarURL), file: calendarURL.path)
    }

    /// The shipped calendar as version `version`, with `daysOff` added to their years and, when
    /// `provisional` names a year, that year marked provisional: a calendar the hub publishes in tests.
    public static func calendarFile(version: String, daysOff: [LocalDate] = [], provisional: Int? = nil) throws -> Data {
        guard case .object(var root) = try JSONParser.parse(Array(try Data(contentsOf: calendarURL))), case .array(var years)? = root["years"] else {
            throw HarnessError(description: "the shipped calendar has no years")
        }
        for index in years.indices {
            guard case .object(var year) = years[index], let number = year["year"]?.integerValue, case .array(var off)? = year["daysOff"] else { continue }
            off += daysOff.filter { $0.year == number }.map { ["date": .string($0.iso), "name": "Nghỉ bù (thử nghiệm)"] }
            year["daysOff"] = .array(off)
            if provisional == number { year["status"] = "provisional" }
            years[index] = .object(year)
        }
        root["years"] = .array(years)
        root["version"] = .string(version)
        return Data(CanonicalJSON.encode(.object(root)))
    }

    /// The first `count` working days on or after `date` by `calendar`. Tests that make these days
    /// off start from today: a receipt made before office hours on a working day falls due that same
    /// day, so days off from tomorrow on would not move it (a test run just after midnight in Vietnam
    /// failed that way).
    public static func workingDays(_ count: Int, from date: LocalDate, calendar: WorkingCalendar) -> [LocalDate] {
        let time = WorkingTime(calendar: calendar)
        var days: [LocalDate] = []
        var day = date
        while days.count < count {
            day = time.workingDay(onOrAfter: day)
            days.append(day)
            day = day.adding(days: 1)
        }
        return days
    }

    /// The example staff of a commune office and of the district hub (Config/*.example.json).
    public static let communeStaff: Set<String> = ["cb-tiepnhan-01", "cb-tiepnhan-02", "cb-tuphap-01", "ct-ubnd"]
    public static let hubStaff: Set<String> = ["pb-tiepnhan-01", "pb-tnmt-01", "ld-ubnd-huyen", "vh-hethong"]

    /// The post-2025 topology (province and merged communes, no district).
    public static var lamDongTopologyURL: URL { packageRoot.appendingPathComponent("Config/topology/lam-dong-2025.json") }

    /// An office's workflow with the shipped calendar and catalogue; by default thị trấn Ma Lâm
    /// (xa-23059) with the example commune staff.
    public static func workflow(
        origin: String = "xa-23059", agency: String = "23059", office: String = "UBND thị trấn Ma Lâm", staff: Set<String> = communeStaff,
        topology: URL = topologyURL, catalogue: ProcedureCatalogue? = nil
    ) throws -> Workflow {
        let shipped = try ProcedureCatalogue.load(try Data(contentsOf: proceduresURL), file: proceduresURL.path)
        return Workflow(
            origin: origin, agencyCode: agency, officeName: office, staff: staff, calendar: try calendar(), catalogue: catalogue ?? shipped,
            topology: try Topology.load(try Data(contentsOf: topology), file: topology.path))
    }

    /// The district hub's workflow (hub-597, UBND huyện Hàm Thuận Bắc, the example hub staff).
    public static func districtWorkflow() throws -> Workflow {
        try workflow(origin: "hub-597", agency: "597", office: "UBND huyện Hàm Thuận Bắc", staff: hubStaff)
    }

    /// The instant of a Vietnam local time written `yyyy-mm-dd HH:mm`.
    public static func vietnam(_ text: String) -> Int64 {
        let parts = text.split(separator: " ")
        let date = LocalDate(iso: String(parts[0]))!
        let time = parts[1].split(separator: ":")
        return date.milliseconds(atMinute: Int(time[0])! * 60 + Int(time[1])!)
    }

    /// `yyyy-mm-dd HH:mm` in Vietnam time.
    public static func vietnamText(_ milliseconds: Int64) -> String {
        let minute = LocalDate.minuteOfDay(vietnamTimeOf: milliseconds)
        return "\(LocalDate(vietnamTimeOf: milliseconds).iso) \(LocalDate.pad(minute / 60, 2)):\(LocalDate.pad(minute % 60, 2))"
    }

    /// A fixed key for tests (RFC 8032 section 7.1, test 1).
    public static func testKey() -> SigningKey {
        // A constant valid seed: tests only, a failure is a broken fixture.
        try! SigningKey(seedHex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    }

    /// A draft note event on `dossier`.
    /// A valid counter intake of procedure `procedure` for `applicant`.
    public static func intake(procedure: String = "1.001776", applicant: String = "Lê Văn Tư") -> Workflow.Intake {
        Workflow.Intake(
            procedureCode: procedure, applicantName: applicant, idNumber: "060123456789", phone: "0912345678", address: "thôn 1",
            documents: ["Tờ khai"], channel: .counter)
    }

    public static func note(_ text: String, dossier: String = "23059-261122-0001", actor: String = "cb-tiepnhan-01") -> EventDraft {
        EventDraft(dossier: dossier, type: "dossier.note", actor: actor, body: ["text": .string(text)])
    }
}
