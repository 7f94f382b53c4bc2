import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// `lienthong report …`: figures district leaders read, computed from the events at a commune (its
/// own dossiers) or at the hub (every commune, or one).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports computed from the events: Biểu II.06a, overdue and due-soon dossiers.",
        subcommands: [Report06aCommand.self, ReportOverdueCommand.self, ReportDueCommand.self])
}

/// How a report is printed.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// Options every report takes: the data directory, the commune (at a hub) and the format.
struct ReportOptions: ParsableArguments {
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "At a hub: only this commune, by agency code (23059) or origin (xa-23059). A commune's node reports its own dossiers.")
    var commune: String?
    @Option(help: "table (for the terminal), csv (UTF-8 with BOM, for Excel) or json.") var format: ReportFormat = .table

    /// Reads the dossiers the report covers, one at a time (`body` gets each folded state and its
    /// events), and returns the reporting unit's name as the title prints it.
    func forEachDossier(_ node: NodeContext, _ body: (DossierState, [Event]) throws -> Void) throws -> String {
        // The smallest office name written on the unit's dossiers (see `unit`).
        var name: String?
        func collect(_ state: DossierState, _ events: [Event]) throws {
            if !state.officeName.isEmpty { name = min(name ?? state.officeName, state.officeName) }
            try body(state, events)
        }
        if node.directory.role == .node {
            if let commune, commune != node.identity.agencyCode, commune != node.identity.origin {
                throw ValidationError(
                    "--commune: a commune's node reports only its own dossiers (\(node.identity.agencyCode)); found \(commune). Run the report at the hub for another commune."
                )
            }
            try node.log.forEachDossier(agency: node.identity.agencyCode) { state, events in
                if state.receivingOffice == node.identity.origin { try collect(state, events) }
            }
            // With no dossier, the topology's name, as the hub prints it.
            let fallback = node.workflow.topology?.agency(code: node.identity.agencyCode)?.name ?? node.identity.officeName
            return Self.unit(name, code: node.identity.agencyCode, fallback: fallback)
        }
        guard let commune else {
            try node.log.forEachDossier(body)
            return "Tất cả đơn vị tiếp nhận — \(node.identity.officeName) (\(node.identity.agencyCode))"
        }
        let communes = node.workflow.topology?.agencies.filter { $0.level == "commune" } ?? []
        guard let agency = communes.first(where: { $0.code == commune || $0.origin == commune }) else {
            let known = communes.prefix(20).map(\.code).joined(separator: ", ")
            throw ValidationError("--commune: expected a commune's agency code or origin from the hub's topology (\(known)…); found \(commune)")
        }
        try node.log.forEachDossier(agency: agency.code) { state, events in
            if state.receivingOffice == agency.origin { try collect(state, events) }
        }
        return Self.unit(name, code: agency.code, fallback: agency.name)
    }

    /// The unit's name from its dossiers (what the receiving office wrote on them, so a commune and
    /// the hub print the same title), else `fallback`.
    static func unit(_ name: String?, code: String, fallback: String) -> String {
        "\(name ?? fallback) (\(code))"
    }

    func print(table: String, csv: String, json: JSONValue) {
        switch format {
        case .table: FileHandle.standardOutput.write(Data(table.utf8))
        case .csv: FileHandle.standardOutput.write(Data(csv.utf8))
        case .json: FileHandle.standardOutput.write(Data((CanonicalJSON.string(json) + "\n").utf8))
        }
    }
}

/// `report 06a --from --to`: Biểu II.06a.
struct Report06aCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "06a",
        abstract: "Biểu II.06a: received, resolved (early / on time / late) and pending (within time / late) dossiers, by field.",
        discussion: """
            Dates are whole days in Asia/Ho_Chi_Minh, both included. Pending dossiers are judged at the period's end, \
            never at the moment the report runs. The same events give byte-identical output at a commune and at the hub.
            """)

    @OptionGroup var options: ReportOptions
    @Option(help: "The period's first day: yyyy-mm-dd or dd/mm/yyyy.") var from: String
    @Option(help: "The period's last day (included).") var to: String
    @Option(help: "Only this field (lĩnh vực), by its code in the catalogue, e.g. ho-tich.") var field: String?

    func run() throws {
        guard let first = LocalDate(argument: from) else { throw ValidationError("--from: expected a date as yyyy-mm-dd or dd/mm/yyyy; found \(from)") }
        guard let last = LocalDate(argument: to) else { throw ValidationError("--to: expected a date as yyyy-mm-dd or dd/mm/yyyy; found \(to)") }
        guard first <= last else { throw ValidationError("--to: expected a day on or after --from (\(first.iso)); found \(last.iso)") }
        let today = LocalDate(vietnamTimeOf: Int64(NodeContext.wallMilliseconds()))
        guard last <= today else {
            throw ValidationError(
                "--to: expected a day that has come (today is \(today.iso)): pending dossiers are judged at the end of the period's last day; found \(last.iso)"
            )
        }
        let node = try NodeContext(options.data)
        var timelines: [DossierTimeline] = []
        let unit = try options.forEachDossier(node) { state, events in
            if let timeline = DossierTimeline(state, events: events) { timelines.append(timeline) }
        }
        if let field, !timelines.contains(where: { $0.fieldCode == field }), node.workflow.catalogue.procedures.allSatisfy({ $0.fieldCode != field }) {
            let known = Set(node.workflow.catalogue.procedures.map(\.fieldCode)).sorted().joined(separator: ", ")
            throw ValidationError("--field: expected a field code of the catalogue (\(known)); found \(field)")
        }
        let report = Report06a(timelines, scope: Report06a.Scope(from: first, to: last, unit: unit, field: field))
        options.print(table: report.table, csv: report.csv, json: report.json)
    }
}

/// `report overdue`.
struct ReportOverdueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue", abstract: "Unfinished dossiers past their appointment, with the office, step and officer that hold them.")

    @OptionGroup var options: ReportOptions

    func run() throws {
        let node = try NodeContext(options.data)
        let list = try dueList(node, options: options, dueBy: nil)
        options.print(table: list.table, csv: list.csv, json: list.json)
    }
}

/// `report due --within 2d`.
struct ReportDueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "due", abstract: "Unfinished dossiers due within N working days and not yet overdue, with who holds them.")

    @OptionGroup var options: ReportOptions
    @Option(help: "How far ahead: N working days, written Nd (2d) or N; 0d is today.") var within: String = "2d"

    func run() throws {
        let digits = within.hasSuffix("d") ? String(within.dropLast()) : within
        guard let days = Int(digits), (0...365).contains(days) else {
            throw ValidationError("--within: expected a number of working days from 0 to 365, such as 2d; found \(within)")
        }
        let node = try NodeContext(options.data)
        let now = Int64(NodeContext.wallMilliseconds())
        let dueBy = node.workflow.workingTime.endOfWorkingDays(days, after: LocalDate(vietnamTimeOf: now))
        let list = try dueList(node, options: options, dueBy: dueBy, now: now)
        options.print(table: list.table, csv: list.csv, json: list.json)
    }
}

func dueList(_ node: NodeContext, options: ReportOptions, dueBy: Int64?, now: Int64 = Int64(NodeContext.wallMilliseconds())) throws -> DueList {
    // Only unfinished dossiers can be due; the others are dropped as they are read.
    var open: [DossierState] = []
    _ = try options.forEachDossier(node) { state, _ in
        if let status = state.status, !status.isFinished, state.appointment != nil { open.append(state) }
    }
    return DueList(open, now: now, dueBy: dueBy, officeNames: node.officeNames, staffNames: node.staffNames)
}
