/// Deadline arithmetic over a ``WorkingCalendar``: when counting starts, adding working hours,
/// counting working time between two instants and calendar-day deadlines. All instants are Unix
/// milliseconds; all dates are Vietnam dates. Pure: the same inputs give the same instant on any
/// machine, in any time zone.
public struct WorkingTime: Sendable {
    public let calendar: WorkingCalendar
    /// The hours in a working day (ngày làm việc): 8.
    public static let hoursPerWorkingDay = 8
    /// How far the search for a working day may go before giving up (ten years).
    static let searchLimitDays = 3660

    public init(calendar: WorkingCalendar) { self.calendar = calendar }

    /// The first working day on or after `date`.
    public func workingDay(onOrAfter date: LocalDate) -> LocalDate {
        var day = date
        for _ in 0..<Self.searchLimitDays where !calendar.isWorkingDay(day) { day = day.adding(days: 1) }
        return day
    }

    /// The instant counting starts for something that arrives at `instant`: the instant itself
    /// during office hours on a working day; otherwise the opening of the next office span on a
    /// working day (after closing time, that is the next working morning; during the lunch break,
    /// the afternoon opening).
    public func startOfCounting(_ instant: Int64) -> Int64 {
        var date = LocalDate(vietnamTimeOf: instant)
        let minute = LocalDate.minuteOfDay(vietnamTimeOf: instant)
        if calendar.isWorkingDay(date) {
            for span in calendar.officeHours {
                if minute < span.from { return date.milliseconds(atMinute: span.from) }
                if minute < span.to { return instant }
            }
        }
        date = workingDay(onOrAfter: date.adding(days: 1))
        return date.milliseconds(atMinute: calendar.officeHours[0].from)
    }

    /// The instant reached by counting `minutes` working minutes from `instant` (counting starts
    /// as ``startOfCounting(_:)`` says). A count that ends exactly at a closing time ends there.
    public func adding(workingMinutes minutes: Int, to instant: Int64) -> Int64 {
        var remaining = max(0, minutes)
        let start = startOfCounting(instant)
        guard remaining > 0 else { return start }
        var date = LocalDate(vietnamTimeOf: start)
        var fromMinute = LocalDate.minuteOfDay(vietnamTimeOf: start)
        for _ in 0..<Self.searchLimitDays {
            if calendar.isWorkingDay(date) {
                for span in calendar.officeHours where span.to > fromMinute {
                    let begin = max(span.from, fromMinute)
                    let available = span.to - begin
                    if remaining <= available { return date.milliseconds(atMinute: begin + remaining) }
                    remaining -= available
                }
            }
            date = date.adding(days: 1)
            fromMinute = 0
        }
        return date.milliseconds(atMinute: calendar.officeHours[0].from)
    }

    /// Working minutes from `start` to `end` (0 when `end` is not later).
    public func workingMinutes(from start: Int64, to end: Int64) -> Int {
        guard end > start else { return 0 }
        var total = 0
        let firstDate = LocalDate(vietnamTimeOf: start)
        var date = firstDate
        let lastDate = LocalDate(vietnamTimeOf: end)
        let firstMinute = LocalDate.minuteOfDay(vietnamTimeOf: start)
        let lastMinute = LocalDate.minuteOfDay(vietnamTimeOf: end)
        while date <= lastDate {
            if calendar.isWorkingDay(date) {
                for span in calendar.officeHours {
                    let begin = date == firstDate ? max(span.from, firstMinute) : span.from
                    let finish = date == lastDate ? min(span.to, lastMinute) : span.to
                    if finish > begin { total += finish - begin }
                }
            }
            date = date.adding(days: 1)
        }
        return total
    }

    /// The close of office on the working day reached by counting `days` calendar days from the
    /// date counting starts: a deadline that falls on a weekend or holiday moves to the next
    /// working day.
    public func calendarDeadline(days: Int, from instant: Int64) -> Int64 {
        let startDate = LocalDate(vietnamTimeOf: startOfCounting(instant))
        let date = workingDay(onOrAfter: startDate.adding(days: max(0, days)))
        return date.milliseconds(atMinute: calendar.officeHours[calendar.officeHours.count - 1].to)
    }

    /// The deadline of `duration` counted from `instant`, or nil when the duration has none.
    public func deadline(of duration: ProcedureDuration, from instant: Int64) -> Int64? {
        switch duration {
        case .workingDays(let days): adding(workingMinutes: days * Self.hoursPerWorkingDay * 60, to: instant)
        case .workingHours(let hours): adding(workingMinutes: hours * 60, to: instant)
        case .calendarDays(let days): calendarDeadline(days: days, from: instant)
        case .none: nil
        }
    }

    /// What is left of `duration` at `instant` when the deadline was `deadline`: working minutes
    /// for working-time durations, whole calendar days for calendar-day ones.
    public func remaining(of duration: ProcedureDuration, deadline: Int64, at instant: Int64) -> Int {
        switch duration {
        case .workingDays, .workingHours: workingMinutes(from: instant, to: deadline)
        case .calendarDays: max(0, LocalDate(vietnamTimeOf: deadline).dayNumber - LocalDate(vietnamTimeOf: instant).dayNumber)
        case .none: 0
        }
    }

    /// The deadline after a pause: `remaining` (as ``remaining(of:deadline:at:)`` measured it)
    /// counted again from `instant`.
    public func resume(_ duration: ProcedureDuration, remaining: Int, from instant: Int64) -> Int64? {
        switch duration {
        case .workingDays, .workingHours: adding(workingMinutes: remaining, to: instant)
        case .calendarDays: calendarDeadline(days: remaining, from: instant)
        case .none: nil
        }
    }

    /// The close of office of the `count`-th working day after `date` (count 0: `date` itself if
    /// it is a working day, else the next one). Used for "due within N working days".
    public func endOfWorkingDays(_ count: Int, after date: LocalDate) -> Int64 {
        var day = workingDay(onOrAfter: date)
        for _ in 0..<max(0, count) { day = workingDay(onOrAfter: day.adding(days: 1)) }
        return day.milliseconds(atMinute: calendar.officeHours[calendar.officeHours.count - 1].to)
    }
}
