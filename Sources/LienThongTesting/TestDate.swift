import Foundation
import LienThongCore

/// The date tests run at, never the machine's: every `lienthong` process that ``CLIProcess``
/// starts has its wall clock moved (``WallClock``'s debug-build offset) so that "now" is this
/// date, and tests compute what they expect from ``now()`` and ``today``, never from `Date()`.
///
/// The date is `LIENTHONG_TEST_DATE` (Vietnam time, `2025-12-31T23:59` or `2025-12-31 23:59`), or
/// ``defaultDate`` when that is unset; `LIENTHONG_TEST_DATE=machine` runs on the machine's clock.
/// `Scripts/date-sweep.sh` runs the end-to-end tests at hard dates (New Year's Eve, the eve of
/// Tết, a Sunday, past midnight, 1 July 2025). The clock starts at that date when this process
/// first asks and runs on from there, so a test that takes a minute ends a minute later.
/// Only the wall clock moves: monotonic clocks (timeouts, backoff) stay real. (libfaketime was
/// tried first: under it `node run`'s timers stop after their first tick.)
public enum TestDate {
    /// Wednesday 18 November 2026, 09:30 Vietnam time: an ordinary office morning in a year whose
    /// calendar is announced, with every appointment the tests make falling in the same year.
    public static let defaultDate = "2026-11-18T09:30"

    /// The date `LIENTHONG_TEST_DATE` names, in Unix ms (nil: the machine's clock).
    public static let start: Int64? = {
        let text = ProcessInfo.processInfo.environment["LIENTHONG_TEST_DATE"] ?? defaultDate
        if text == "machine" { return nil }
        guard let milliseconds = parse(text) else {
            FileHandle.standardError.write(Data("LIENTHONG_TEST_DATE: expected a Vietnam time such as 2025-12-31T23:59, or machine; found \(text)\n".utf8))
            exit(64)
        }
        return milliseconds
    }()

    /// What to add to the machine's clock, in ms, fixed at first use.
    public static let offsetMilliseconds: Int64 = start.map { $0 - Int64(Date().timeIntervalSince1970 * 1000) } ?? 0

    /// The tests' now, Unix ms.
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) + offsetMilliseconds }

    /// The tests' date in Vietnam.
    public static var today: LocalDate { LocalDate(vietnamTimeOf: now()) }

    /// Parses `YYYY-MM-DDTHH:MM` (or with a space) as Vietnam time.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(whereSeparator: { $0 == "T" || $0 == " " })
        guard parts.count == 2, let date = LocalDate(iso: String(parts[0])) else { return nil }
        let clock = parts[1].split(separator: ":")
        guard clock.count == 2, let hour = Int(clock[0]), let minute = Int(clock[1]), (0..<24).contains(hour), (0..<60).contains(minute) else {
            return nil
        }
        return date.milliseconds(atMinute: hour * 60 + minute)
    }

    /// The environment that puts a `lienthong` process on the tests' clock (empty on the machine's).
    public static var environment: [String: String] {
        guard start != nil else { return [:] }
        return [WallClock.offsetVariable: String(offsetMilliseconds)]
    }

    /// The environment that puts a `lienthong` process at `date` (Vietnam time, as
    /// `LIENTHONG_TEST_DATE` takes it) from now on: for a test about one particular day.
    public static func environment(at date: String) throws -> [String: String] {
        guard let milliseconds = parse(date) else { throw HarnessError(description: "expected a Vietnam time such as 2026-12-07T09:00; found \(date)") }
        return [WallClock.offsetVariable: String(milliseconds - Int64(Date().timeIntervalSince1970 * 1000))]
    }
}
