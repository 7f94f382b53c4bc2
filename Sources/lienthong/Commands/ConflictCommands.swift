import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// `lienthong conflicts …`: the disagreements the fold recorded (xung đột), for a person to settle.
/// The same commands work on a node and on a hub (`--data-dir` of either).
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List, show and settle conflicts (xung đột): events the fold could not apply, kept with both sides.",
        subcommands: [ConflictsListCommand.self, ConflictsShowCommand.self, ConflictsResolveCommand.self])
}

struct ConflictsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List open conflicts (or all with --all), newest first.")
    @Flag(help: "Also the resolved and dismissed ones.") var all = false
    @Flag(help: "One JSON object per line.") var json = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let node = try NodeContext(data)
        let rows = try node.log.conflicts(openOnly: !all)
        if json {
            for row in rows { print(CanonicalJSON.string(row.json)) }
            return
        }
        print(
            TextTable.render(
                header: ["conflict", "dossier", "state", "event", "by", "at", "reason (vi)"],
                rows: rows.map { row in
                    [
                        row.id, row.dossier, row.resolution, row.type, "\(row.origin) \(node.staffNames[row.actor] ?? row.actor)",
                        LocalDate.vietnameseDateTime(row.at), row.reasonVietnamese,
                    ]
                }))
        print("\(rows.count) conflict(s)\(all ? "" : " open"); settle one with `lienthong conflicts resolve ID --apply|--dismiss --note …`")
    }
}

struct ConflictsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a conflict: the event that could not apply, the other side, who and when, the reason in Vietnamese and English.")
    @Argument(help: "The conflict's id: the unapplied event's <origin>-<seq>, e.g. xa-23062-4.") var id: String
    @Flag(help: "Print it as JSON.") var json = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let node = try NodeContext(data)
        let (state, conflict) = try ConflictsResolveCommand.find(id, in: node)
        let events = try node.log.events(ofDossier: state.code)
        let standing = events.first { "\($0.origin)-\($0.seq)" == conflict.standingEvent }
        if json {
            let value: JSONValue = [
                "dossier": .string(state.code), "id": .string(conflict.id), "type": .string(conflict.type), "origin": .string(conflict.origin),
                "actor": .string(conflict.actor), "at": .integer(Int(conflict.at)), "owner": .string(conflict.owner),
                "status": .string(conflict.status), "standingEvent": .string(conflict.standingEvent),
                "reasonVi": .string(conflict.reasonVietnamese), "reasonEn": .string(conflict.reasonEnglish),
                "resolution": .string(conflict.resolution.rawValue), "resolvedBy": conflict.resolvedBy.map(JSONValue.string) ?? .null,
                "note": conflict.resolutionNote.map(JSONValue.string) ?? .null,
            ]
            print(CanonicalJSON.string(value))
            return
        }
        func who(_ actor: String) -> String { node.staffNames[actor].map { "\($0) (\(actor))" } ?? actor }
        print("Conflict    \(conflict.id) on dossier \(state.code) — \(conflict.resolution.rawValue)")
        print(
            "This side   \(conflict.type) (\(DossierRules.vietnameseAction(conflict.type))) by \(conflict.origin) \(who(conflict.actor)), \(LocalDate.vietnameseDateTime(conflict.at))"
        )
        var other = "owner \(conflict.owner), status \(conflict.status)"
        if let standing {
            other +=
                "; since \(standing.type) (\(DossierRules.vietnameseAction(standing.type))) by \(standing.origin) \(who(standing.actor)), "
                + LocalDate.vietnameseDateTime(Int64(standing.hlc.physical))
        }
        print("Other side  \(other)")
        print("Lý do       \(conflict.reasonVietnamese)")
        print("Reason      \(conflict.reasonEnglish)")
        if let by = conflict.resolvedBy { print("Settled by  \(by)" + (conflict.resolutionNote.map { ": \($0)" } ?? "")) }
        if conflict.isOpen {
            print("Settle it with `lienthong conflicts resolve \(conflict.id) --apply|--dismiss --note …` (the owner \(state.owner ?? "?") or a hub)")
        }
    }
}

struct ConflictsResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle a conflict: --apply the event after all, or --dismiss it; writes conflict.resolved with the note.",
        discussion: "Only the dossier's owner or a hub may settle a conflict. Once synced, every replica shows it settled.")
    @Argument(help: "The conflict's id, e.g. xa-23062-4.") var id: String
    @Flag(help: "Apply the event after all.") var apply = false
    @Flag(help: "Dismiss the event: it stays in the log, unapplied.") var dismiss = false
    @Option(help: "Why it is settled this way (kept in the log).") var note: String
    @OptionGroup var writer: WriterOptions

    func validate() throws {
        guard apply != dismiss else { throw ValidationError("give exactly one of --apply or --dismiss") }
    }

    func run() throws {
        let node = try NodeContext(writer.data)
        let (state, _) = try Self.find(id, in: node)
        let saved = try node.perform(.resolveConflict(id: id, apply: apply, note: note), on: state.code, actor: writer.actor)
        let settled = saved.state.conflicts.first { $0.id == id }
        print("saved conflict.resolved on \(state.code): \(id) \(settled?.resolution.rawValue ?? "?")")
    }

    /// The dossier and the conflict `id` names; an unknown id is a message and exit code 64.
    static func find(_ id: String, in node: NodeContext) throws -> (DossierState, Conflict) {
        guard let code = try node.log.dossier(ofConflict: id), let state = try node.log.dossier(code),
            let conflict = state.conflicts.first(where: { $0.id == id })
        else {
            FileHandle.standardError.write(Data("error: no conflict \(id) here; list them with `lienthong conflicts list --all`\n".utf8))
            throw ExitCode(64)
        }
        return (state, conflict)
    }
}
