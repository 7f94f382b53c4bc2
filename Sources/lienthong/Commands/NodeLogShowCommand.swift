import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// `lienthong node log show`: the most recent events.
struct NodeLogShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the most recent events, oldest first.")

    @Option(help: "How many events to show.")
    var limit = 20

    @Flag(help: "Print a JSON array of the events, one canonical event per line.")
    var json = false

    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit: expected a number of events of 1 or more, found \(limit)") }
    }

    func run() throws {
        let events = try data.directory.openLog().recentEvents(limit: limit)
        if json {
            print("[")
            for (index, event) in events.enumerated() {
                print(CanonicalJSON.string(event.json) + (index < events.count - 1 ? "," : ""))
            }
            print("]")
            return
        }
        guard !events.isEmpty else {
            print("The log is empty.")
            return
        }
        let rows = events.map { event in
            [
                event.origin, String(event.seq), Self.localTime(event.hlc), event.type, event.dossier ?? "-", event.actor,
                String(event.hash.prefix(12)),
            ]
        }
        let header = ["ORIGIN", "SEQ", "TIME (UTC+7)", "TYPE", "DOSSIER", "ACTOR", "HASH"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    /// The HLC's wall time in Asia/Ho_Chi_Minh (UTC+07:00 all year, no daylight saving).
    static func localTime(_ hlc: HLC) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: Date(timeIntervalSince1970: Double(hlc.physical) / 1000))
    }
}
