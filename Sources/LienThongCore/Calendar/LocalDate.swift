/// A calendar date in Asia/Ho_Chi_Minh (UTC+07:00, no daylight saving): business dates, office
/// hours, dossier-code dates and report periods are all reckoned in it, whatever the machine's
/// time zone (DESIGN §4). The arithmetic is done here on integers, so no result depends on the
/// host's time-zone database.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Vietnam's offset from UTC, in milliseconds.
    public static let utcOffsetMilliseconds: Int64 = 7 * 3_600_000
    static let millisecondsPerDay: Int64 = 86_400_000

    /// A date from its parts, or nil when the parts name no real date.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year), (1970...9999).contains(year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date of a Unix-epoch day number (days since 1970-01-01).
    public init(dayNumber: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// The date in Vietnam at the instant `milliseconds` (Unix ms, UTC).
    public init(vietnamTimeOf milliseconds: Int64) {
        self.init(dayNumber: Int(Self.floorDiv(milliseconds + Self.utcOffsetMilliseconds, Self.millisecondsPerDay)))
    }

    /// Parses `yyyy-mm-dd`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 0 = Monday … 6 = Sunday.
    public var weekday: Int {
        ((dayNumber % 7) + 7 + 3) % 7
    }

    /// The instant (Unix ms) of `minuteOfDay` minutes after local midnight of this date.
    public func milliseconds(atMinute minuteOfDay: Int) -> Int64 {
        Int64(dayNumber) * Self.millisecondsPerDay + Int64(minuteOfDay) * 60_000 - Self.utcOffsetMilliseconds
    }

    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }

    /// `yyyy-mm-dd`.
    public var iso: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }
    /// `dd/mm/yyyy`, as Vietnamese documents write dates.
    public var vietnamese: String { "\(Self.pad(day, 2))/\(Self.pad(month, 2))/\(Self.pad(year, 4))" }
    /// `YYMMDD`, as the dossier code writes its date.
    public var compact: String { "\(Self.pad(year % 100, 2))\(Self.pad(month, 2))\(Self.pad(day, 2))" }
    public var description: String { iso }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    /// The minute of the day in Vietnam at the instant `milliseconds`.
    public static func minuteOfDay(vietnamTimeOf milliseconds: Int64) -> Int {
        Int(floorMod(milliseconds + utcOffsetMilliseconds, millisecondsPerDay) / 60_000)
    }

    /// `HH:mm dd/mm/yyyy` in Vietnam time, as receipts print instants.
    public static func vietnameseDateTime(_ milliseconds: Int64) -> String {
        let minute = minuteOfDay(vietnamTimeOf: milliseconds)
        return "\(pad(minute / 60, 2)):\(pad(minute % 60, 2)) \(LocalDate(vietnamTimeOf: milliseconds).vietnamese)"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `value` with leading zeros to `width` digits.
    public static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
}
