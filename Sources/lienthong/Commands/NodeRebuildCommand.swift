import ArgumentParser
import LienThongCore
import LienThongStore

/// `lienthong node rebuild`: drops and rebuilds the projections from the events.
struct NodeRebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop the dossier, conflict and hand-over projections and rebuild them from the event log.",
        discussion: "Projections are a pure function of the events, so a rebuild yields identical rows; run it after an upgrade.")

    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let database = try data.directory.openLog()
        let count = try database.rebuildProjections { done, total in
            if total >= 1000 { print("  \(done)/\(total) dossiers") }
        }
        print("rebuilt the projections of \(count) dossier(s) from \(try database.eventCount()) event(s)")
    }
}
