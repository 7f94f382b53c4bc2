import Foundation

/// The working calendar (lịch làm việc) of public offices: office hours, the weekly rest days,
/// each year's days off (public holidays, Tết, compensatory and swapped days) and swapped working
/// days (làm bù), with a version that every deadline computed from it records (DESIGN §4).
///
/// A year whose swaps are not announced yet carries only the statutory holidays and is marked
/// provisional; deadlines computed in it are still written, and status warns.
public struct WorkingCalendar: Sendable, Hashable {
    /// One span of office hours, in minutes after local midnight.
    public struct Span: Sendable, Hashable {
        public var from: Int
        public var to: Int
    }

    /// What is known about one year.
    public struct Year: Sendable, Hashable {
        public var year: Int
        public var provisional: Bool
        public var source: String
    }

    public var name: String
    public var version: String
    /// Office hours, sorted and disjoint (07:00–11:30 and 13:30–17:00 in the shipped calendar).
    public var officeHours: [Span]
    /// Weekdays that are rest days (0 = Monday … 6 = Sunday).
    public var weekendDays: Set<Int>
    public var daysOff: Set<LocalDate>
    public var workingDays: Set<LocalDate>
    public var years: [Int: Year]

    public init(
        name: String, version: String, officeHours: [Span], weekendDays: Set<Int>, daysOff: Set<LocalDate>,
        workingDays: Set<LocalDate>, years: [Int: Year]
    ) {
        self.name = name
        self.version = version
        self.officeHours = officeHours
        self.weekendDays = weekendDays
        self.daysOff = daysOff
        self.workingDays = workingDays
        self.years = years
    }

    /// Whether offices work on `date`.
    public func isWorkingDay(_ date: LocalDate) -> Bool {
        if workingDays.contains(date) { return true }
        if daysOff.contains(date) { return false }
        return !weekendDays.contains(date.weekday)
    }

    /// Whether `year` is covered by this calendar.
    public func covers(_ year: Int) -> Bool { years[year] != nil }

    /// Whether `year` is covered only provisionally (its swaps are not announced yet).
    public func isProvisional(_ year: Int) -> Bool { years[year]?.provisional ?? true }

    /// Working minutes per day: the length of the office hours.
    public var minutesPerDay: Int { officeHours.reduce(0) { $0 + $1.to - $1.from } }
}

extension WorkingCalendar {
    private struct File: Decodable {
        struct Hours: Decodable { var from: String, to: String }
        struct Day: Decodable { var date: String, name: String }
        struct YearEntry: Decodable {
            var year: Int
            var status: String
            var source: String
            var daysOff: [Day]
            var workingDays: [Day]
        }
        var calendar: String
        var version: String
        var timeZone: String
        var officeHours: [Hours]
        var weekendDays: [String]
        var years: [YearEntry]
    }

    private static let weekdayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Reads a calendar file (Config/calendar/*.json).
    ///
    /// - Throws: ``ConfigError`` naming the file, the field and what was expected.
    public static func load(_ data: Data, file: String) throws(ConfigError) -> WorkingCalendar {
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigError(file: file, field: "", expected: "a calendar file (see Config/calendar/)", found: ConfigError.describe(error))
        }
        guard decoded.timeZone == "Asia/Ho_Chi_Minh" else {
            throw ConfigError(file: file, field: "timeZone", expected: "Asia/Ho_Chi_Minh", found: decoded.timeZone)
        }
        guard !decoded.version.isEmpty, decoded.version.count <= 64 else {
            throw ConfigError(file: file, field: "version", expected: "a version of 1 to 64 characters", found: decoded.version)
        }
        var spans: [Span] = []
        for (index, hours) in decoded.officeHours.enumerated() {
            guard let from = minute(hours.from), let to = minute(hours.to), from < to, from >= (spans.last?.to ?? 0) else {
                throw ConfigError(
                    file: file, field: "officeHours[\(index)]", expected: "HH:mm spans, increasing and not overlapping",
                    found: "\(hours.from)–\(hours.to)")
            }
            spans.append(Span(from: from, to: to))
        }
        guard !spans.isEmpty else { throw ConfigError(file: file, field: "officeHours", expected: "at least one span", found: "none") }
        var weekend: Set<Int> = []
        for name in decoded.weekendDays {
            guard let index = weekdayNames.firstIndex(of: name) else {
                throw ConfigError(file: file, field: "weekendDays", expected: "weekday names such as \"saturday\"", found: name)
            }
            weekend.insert(index)
        }
        var daysOff: Set<LocalDate> = []
        var workingDays: Set<LocalDate> = []
        var years: [Int: Year] = [:]
        for (index, entry) in decoded.years.enumerated() {
            guard ["announced", "provisional"].contains(entry.status) else {
                throw ConfigError(file: file, field: "years[\(index)].status", expected: "announced or provisional", found: entry.status)
            }
            guard years[entry.year] == nil else {
                throw ConfigError(file: file, field: "years[\(index)].year", expected: "each year once", found: String(entry.year))
            }
            years[entry.year] = Year(year: entry.year, provisional: entry.status == "provisional", source: entry.source)
            for (list, field) in [(entry.daysOff, "daysOff"), (entry.workingDays, "workingDays")] {
                for (position, day) in list.enumerated() {
                    guard let date = LocalDate(iso: day.date), date.year == entry.year else {
                        throw ConfigError(
                            file: file, field: "years[\(index)].\(field)[\(position)].date", expected: "a yyyy-mm-dd date in \(entry.year)",
                            found: day.date)
                    }
                    if field == "daysOff" { daysOff.insert(date) } else { workingDays.insert(date) }
                }
            }
        }
        if let both = daysOff.intersection(workingDays).min() {
            throw ConfigError(file: file, field: "years", expected: "no date both a day off and a working day", found: both.iso)
        }
        return WorkingCalendar(
            name: decoded.calendar, version: decoded.version, officeHours: spans, weekendDays: weekend, daysOff: daysOff,
            workingDays: workingDays, years: years)
    }

    /// `HH:mm` → minutes after midnight.
    static func minute(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440
        else { return nil }
        return h * 60 + m
    }
}
