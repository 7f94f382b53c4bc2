import ArgumentParser
import Foundation
import LienThongCore
import LienThongHub
import LienThongStore

/// `lienthong hub fork …`: suspected clones (DESIGN §5) — two machines writing as one commune.
struct HubForkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Review and settle suspected clones: two machines writing as one commune, their histories interleaved.",
        discussion: """
            While a clone is suspected the hub stores nothing more of that commune: every push is held as evidence. \
            `hub fork list` shows each machine's epoch; `hub fork resolve NODE --keep EPOCH` keeps one machine and fences \
            the others (their pushes answer epoch-fenced). A restored backup heals by itself and never appears here.
            """,
        subcommands: [HubForkListCommand.self, HubForkResolveCommand.self])
}

struct HubForkListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the open clone suspicions (or all with --all) and each machine's epoch.")
    @Flag(help: "Also the settled ones.") var all = false
    @Flag(help: "One JSON object per line.") var json = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let hub = try HubContext(data)
        let suspicions = try hub.service.cloneSuspicions(openOnly: !all)
        if json {
            for suspicion in suspicions { print(CanonicalJSON.string(suspicion.json)) }
            return
        }
        for suspicion in suspicions {
            let state = suspicion.keptEpoch.map { "settled: kept \($0), fenced \(suspicion.fencedEpochs.joined(separator: ", "))" } ?? "OPEN"
            print(
                "\(suspicion.origin)  suspicion \(suspicion.id)  since \(LocalDate.vietnameseDateTime(suspicion.since))  diverged at seq \(suspicion.divergedAt)  \(state)"
            )
            print("  \(suspicion.reason)")
            print(
                TextTable.render(
                    header: ["epoch", "in the chain", "held as evidence", "last held"],
                    rows: suspicion.sides.map { side in
                        [
                            side.epoch + (side.epoch == suspicion.currentEpoch ? " (current)" : ""), "\(side.stored)", "\(side.held)",
                            side.lastHeldAt.map { "seq \(side.lastHeldSeq ?? 0), \(LocalDate.vietnameseDateTime($0))" } ?? "-",
                        ]
                    }))
        }
        let open = suspicions.filter(\.isOpen).count
        print("\(open) suspected clone(s) open\(open > 0 ? "; keep one machine with `lienthong hub fork resolve NODE --keep EPOCH`" : "")")
    }
}

struct HubForkResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle a suspected clone: keep one epoch (one machine); every other epoch is fenced off.",
        discussion: """
            Find the epochs with `hub fork list`; `node status` on each machine prints its own. The kept machine's held \
            pushes enter the chain on its next sync; the fenced machine's pushes answer epoch-fenced and what it wrote \
            stays as evidence (here and on that machine). Retire the fenced machine, or re-enrol it with \
            `hub enroll NODE --replace` and `node recover`.
            """)
    @Argument(help: "The node's id, e.g. xa-23059.") var node: String
    @Option(help: "The epoch to keep (see `lienthong hub fork list`).") var keep: String
    @Option(help: "The operator settling it: a staff id of the hub (see the hub's staff.json).") var actor: String
    @Flag(
        help:
            "Close the suspicion though only the kept epoch shows (both machines write in it): nothing is fenced; the machines diverge again and the diverged one heals into its own epoch."
    )
    var closeOnly = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let hub = try HubContext(data)
        guard hub.node.staffNames[actor] != nil else {
            FileHandle.standardError.write(
                Data("error: --actor: \(actor) is not on the hub's staff list (\(hub.node.directory.path)/staff.json); nothing was changed\n".utf8))
            throw ExitCode(64)
        }
        let settled: CloneSuspicion
        do {
            settled = try hub.service.resolveClone(
                origin: node, keep: keep, by: actor, now: Int64(NodeContext.wallMilliseconds()), closeOnly: closeOnly)
        } catch StoreError.refused(let reason) {
            FileHandle.standardError.write(Data("error: \(reason); nothing was changed\n".utf8))
            throw ExitCode(64)
        }
        guard !settled.fencedEpochs.isEmpty else {
            print(
                "Closed the suspicion of \(node) without fencing anything: if two machines still write as it, the hub suspects them again; "
                    + "the machine whose events diverge then heals into an epoch of its own, and `lienthong hub fork list` shows both epochs: "
                    + "keep one with `lienthong hub fork resolve \(node) --keep EPOCH`.")
            return
        }
        print("Kept epoch \(keep) of \(node): its machine's pushes are stored from its next sync.")
        print("Fenced \(settled.fencedEpochs.joined(separator: ", ")): those machines' pushes answer epoch-fenced; what they wrote stays as evidence.")
    }
}
