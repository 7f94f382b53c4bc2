import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// A duration on the command line: `90s`, `15m`, `2h`, `1d`, or plain seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let milliseconds: Int64

    init(milliseconds: Int64) { self.milliseconds = milliseconds }

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        var text = argument.trimmingCharacters(in: .whitespaces)
        var unit: Int64 = 1_000
        if let last = text.last, let factor = units[last] {
            unit = factor
            text.removeLast()
        }
        guard let value = Int64(text), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        milliseconds = product
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// The thresholds every status command takes.
struct ThresholdOptions: ParsableArguments {
    @Option(help: "WARNING when the oldest event the hub has not stored is older than this (e.g. 90s, 15m, 2h, 1d).")
    var pendingAfter = DurationArgument(milliseconds: StatusThresholds().pendingMs)
    @Option(help: "WARNING when the last successful pull is older than this.")
    var pullAfter = DurationArgument(milliseconds: StatusThresholds().pullMs)
    @Option(help: "CRITICAL when the hub has not answered for this long while the node kept trying.")
    var unreachableAfter = DurationArgument(milliseconds: StatusThresholds().unreachableMs)
    @Option(help: "WARNING when the hub's clock and this machine's differ by more than this.")
    var skewAfter = DurationArgument(milliseconds: StatusThresholds().skewMs)
    @Option(help: "CRITICAL when the clocks differ by more than this.")
    var skewCriticalAfter = DurationArgument(milliseconds: StatusThresholds().skewCriticalMs)
    @Option(help: "Hub: WARNING when a node has not been heard from for this long.")
    var silentAfter = DurationArgument(milliseconds: StatusThresholds().silentMs)
    @Option(help: "Hub: WARNING when a decision waits undelivered for longer than this.")
    var undeliveredAfter = DurationArgument(milliseconds: StatusThresholds().undeliveredMs)
    @Option(help: "Hub: WARNING past this many events the projector has not folded (CRITICAL past ten times it).")
    var projectorLag = StatusThresholds().projectorLag
    @Option(
        help:
            "WARNING when an open dossier's appointment lies in a provisional calendar year within this many working days (further ahead it is reported, not warned)."
    )
    var provisionalWithin = StatusThresholds().provisionalWithinWorkingDays
    @Flag(help: "Print the facts and findings as one JSON object.") var json = false

    func validate() throws {
        guard (0...250).contains(provisionalWithin) else {
            throw ValidationError("--provisional-within: expected a number of working days from 0 to 250; found \(provisionalWithin)")
        }
    }

    var thresholds: StatusThresholds {
        var thresholds = StatusThresholds()
        thresholds.pendingMs = pendingAfter.milliseconds
        thresholds.pullMs = pullAfter.milliseconds
        thresholds.unreachableMs = unreachableAfter.milliseconds
        thresholds.skewMs = skewAfter.milliseconds
        thresholds.skewCriticalMs = skewCriticalAfter.milliseconds
        thresholds.silentMs = silentAfter.milliseconds
        thresholds.undeliveredMs = undeliveredAfter.milliseconds
        thresholds.projectorLag = projectorLag
        thresholds.provisionalWithinWorkingDays = provisionalWithin
        return thresholds
    }
}

/// Prints a report and exits with its level's code; a status that cannot be read is UNKNOWN (3).
enum StatusOutput {
    static func finish(_ report: StatusReport, json: Bool, details: [(String, String)]) throws {
        if json {
            print(String(decoding: CanonicalJSON.encode(report.json), as: UTF8.self))
        } else {
            let problems = report.findings.filter { $0.level > .ok }
            let summary = problems.isEmpty ? "all checks pass" : "\(problems.count) finding\(problems.count == 1 ? "" : "s")"
            print("LIENTHONG \(report.level.name) - \(report.subject): \(summary)")
            for finding in report.findings { print("  \(finding.level.name) \(finding.code): \(finding.message)") }
            print("")
            let width = details.map(\.0.count).max() ?? 0
            for (label, value) in details { print("  \(label.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
        }
        if report.level != .ok { throw ExitCode(Int32(report.level.rawValue)) }
    }

    /// Runs `work`; anything that stops it from reading the facts is UNKNOWN, exit 3.
    static func unknownOnFailure(json: Bool, subject: String, _ work: () throws -> Void) throws {
        do {
            try work()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            if json {
                let body: JSONValue = ["subject": .string(subject), "level": "UNKNOWN", "exitCode": 3, "error": .string("\(error)")]
                print(String(decoding: CanonicalJSON.encode(body), as: UTF8.self))
            } else {
                print("LIENTHONG UNKNOWN - \(subject): \(error)")
            }
            throw ExitCode(3)
        }
    }

    static func ago(_ at: Int64?, now: Int64) -> String {
        guard let at else { return "never" }
        return StatusReport.age(now - at) + " ago"
    }

    static func skew(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "not measured yet" }
        let size = abs(milliseconds)
        // Rounded, not cut: a contact's few milliseconds must not turn a day into "23 h".
        return (milliseconds >= 0 ? "+" : "−") + (size < 2_000 ? "\(size) ms" : StatusReport.age(size, rounded: true))
    }
}

/// `lienthong status`: the node's sync health, as DESIGN §7 defines it.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Check the node's sync health: OK, WARNING or CRITICAL, with exit code 0/1/2 (3: cannot tell).",
        discussion: """
            Reads the daemon's heartbeat, the recorded sync attempts and the log; never guesses. CRITICAL: the daemon \
            is not beating (3 intervals), the hub unreachable past --unreachable-after, a fork, clone or fence, a \
            refused queue, a broken chain. WARNING: events not stored or no pull past the thresholds, the last sync \
            failed, open conflicts, clock skew, this year's calendar provisional or an appointment in a provisional year \
            within --provisional-within working days, waiting events, dossiers due within 2 working days the hub has not \
            stored. OK only when none holds. Appointments further ahead in a provisional year (next year's, every \
            December) are reported as a fact and change no exit code.
            """)
    @OptionGroup var thresholds: ThresholdOptions
    @Flag(help: "Skip walking the event log (faster on a large log; the chain is then not checked).") var skipVerify = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        try StatusOutput.unknownOnFailure(json: thresholds.json, subject: data.directory.path) {
            let node = try NodeContext(data)
            let now = Int64(NodeContext.wallMilliseconds())
            let facts = try node.database.statusFacts(
                now: now, workingTime: node.workflow.workingTime, provisionalWithinWorkingDays: thresholds.provisionalWithin, verifyChain: !skipVerify)
            let report = StatusReport.evaluate(facts, thresholds: thresholds.thresholds)
            try StatusOutput.finish(report, json: thresholds.json, details: Self.details(facts))
        }
    }

    /// The calendar line: which years in use are provisional, and whether that is only a fact.
    static func calendar(_ facts: NodeStatusFacts) -> String {
        guard !facts.provisionalYears.isEmpty else { return "announced for every year in use" }
        let years = facts.provisionalYears.map(String.init).joined(separator: ", ")
        let soon = facts.provisionalSoon.count
        let appointments = "\(facts.provisionalAppointments) open appointment\(facts.provisionalAppointments == 1 ? "" : "s") there"
        if facts.provisionalToday || soon > 0 {
            return "provisional for \(years) (\(appointments), \(soon) close): see the finding above"
        }
        return "provisional for \(years) (\(appointments), none close): a fact, not a warning, until the swaps are announced"
    }

    static func details(_ facts: NodeStatusFacts) -> [(String, String)] {
        let now = facts.now
        func attempt(_ record: SyncAttemptRecord?) -> String {
            guard let record else { return "none yet" }
            return "\(record.outcome) \(StatusOutput.ago(record.endedAt, now: now))" + (record.detail.map { " — \($0)" } ?? "")
        }
        return [
            ("node", "\(facts.origin) (\(facts.office)), epoch \(facts.epoch)"),
            ("hub", facts.hub.map { "\($0) at \(facts.hubURL ?? "?"); last answered \(StatusOutput.ago(facts.lastContactAt, now: now))" } ?? "not enrolled"),
            (
                "daemon",
                facts.heartbeat.map { "pid \($0.pid), last beat \(StatusOutput.ago($0.at, now: now)) (every \(StatusReport.age($0.intervalMs)))" }
                    ?? "never ran"
            ),
            ("last push", attempt(facts.lastPush)),
            ("last pull", attempt(facts.lastPull)),
            (
                "own events",
                "head \(facts.localHead), stored at the hub \(facts.storedSeq); \(facts.pending) pending"
                    + (facts.oldestPendingAt.map { ", oldest \(StatusReport.age(now - $0)) old" } ?? "")
            ),
            ("feed", "pulled \(facts.pulled) of \(facts.feedEnd) (\(facts.undelivered) undelivered); last pull \(StatusOutput.ago(facts.pulledAt, now: now))"),
            ("conflicts", "\(facts.openConflicts) open; \(facts.waitingEvents) events waiting"),
            ("clock", "hub − this machine: \(StatusOutput.skew(facts.hubSkewMs))"),
            ("calendar", calendar(facts)),
            (
                "due soon",
                facts.dueNotStored.isEmpty
                    ? "every dossier due within 2 working days is stored at the hub" : "\(facts.dueNotStored.count) not stored at the hub"
            ),
            (
                "log",
                facts.verifiedEvents.map { facts.chainProblems.isEmpty ? "\($0) events verified" : "BROKEN: \(facts.chainProblems.count) problems" }
                    ?? "not checked (--skip-verify)"
            ),
        ]
    }
}

/// `lienthong hub status`: the hub's health for an operator or a monitoring system.
struct HubStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Check the hub's health: silent nodes, undelivered decisions, quarantined events, projector lag (exit 0/1/2/3).")
    @OptionGroup var thresholds: ThresholdOptions
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        try StatusOutput.unknownOnFailure(json: thresholds.json, subject: data.directory.path) {
            let hub = try HubContext(data)
            let now = Int64(NodeContext.wallMilliseconds())
            let facts = try hub.service.statusFacts(now: now)
            let report = StatusReport.evaluate(facts, thresholds: thresholds.thresholds)
            let undelivered = facts.nodes.reduce(0) { $0 + $1.undelivered }
            try StatusOutput.finish(
                report, json: thresholds.json,
                details: [
                    ("hub", "\(facts.hub) (\(facts.office))"),
                    ("process", facts.heartbeat.map { "pid \($0.pid), last beat \(StatusOutput.ago($0.at, now: now))" } ?? "never ran"),
                    ("nodes", "\(facts.nodes.count) known, \(facts.nodes.filter { $0.revokedAt != nil }.count) revoked (details: `lienthong hub nodes`)"),
                    ("events", "\(facts.storedEvents) stored, \(facts.projected) folded (lag \(facts.projectorLag))"),
                    ("undelivered", "\(undelivered) feed entries"),
                    ("quarantined", "\(facts.quarantined) events"),
                    ("conflicts", "\(facts.openConflicts) open"),
                ])
        }
    }
}

/// `lienthong hub nodes`: one line per node, for the district operator.
struct HubNodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "List the hub's nodes: office, last seen, stored head, lag, undelivered decisions, conflicts, clock skew, quarantine.")
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let hub = try HubContext(data)
        let now = Int64(NodeContext.wallMilliseconds())
        let nodes = try hub.service.nodeStatuses()
        if json {
            let body: JSONValue = ["hub": .string(hub.service.identity.origin), "at": .integer(Int(now)), "nodes": .array(nodes.map { $0.json(now: now) })]
            print(String(decoding: CanonicalJSON.encode(body), as: UTF8.self))
            return
        }
        let offices = Dictionary(hub.service.topology.agencies.map { ($0.origin, $0.name) }, uniquingKeysWith: { first, _ in first })
        let header = ["node", "office", "last seen", "stored", "lag", "lag time", "undelivered", "conflicts", "clock (node − hub)", "quarantined"]
        var rows: [[String]] = []
        for node in nodes {
            let seen = node.revokedAt != nil ? "revoked" : StatusOutput.ago(node.lastSeenAt, now: now)
            let undelivered = node.undelivered == 0 ? "0" : "\(node.undelivered) (\(node.oldestUndeliveredAt.map { StatusReport.age(now - $0) } ?? "?"))"
            rows.append([
                node.node, offices[node.node] ?? "?", seen, "\(node.storedHead)", "\(node.lagEvents)",
                node.lagEvents == 0 ? "0" : StatusReport.age(node.lagMilliseconds(now: now)), undelivered, "\(node.openConflicts)",
                StatusOutput.skew(node.skewMs), "\(node.quarantined)",
            ])
        }
        print(TextTable.render(header: header, rows: rows))
    }
}

/// A plain text table, columns padded to their widest cell (by characters, so Vietnamese lines up).
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
