import ArgumentParser
import Foundation
import LienThongHub
import LienThongStore

/// `lienthong hub backup FILE`: an online copy of the hub's database.
struct HubBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the hub's database to a new file while the hub keeps working.",
        discussion: """
            One consistent snapshot, taken with SQLite's online backup API. The file must not exist yet. The private key \
            (hub.key) is not in it: back it up separately. Restore with `lienthong hub restore FILE`.
            """)

    @Argument(help: "The backup file to create.")
    var file: String

    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let summary = try HubContext(data).database.backup(to: file)
        print("Backed up \(summary.eventCount) events to \(summary.path) (\(summary.bytes) bytes)")
    }
}

/// `lienthong hub restore BACKUP` and `hub restore --finish`: a hub restored from a backup takes its
/// own lost events back from the communes before it writes new ones (DESIGN §5).
struct HubRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the hub's database with a backup, then take the hub's lost decisions back from the communes.",
        discussion: """
            Stop `lienthong hub run` first. The backup must be of this hub and verify; the database it replaces is kept \
            beside it (hub.sqlite.before-restore-TIME). Then start `hub run`: each commune re-pushes what the hub lost and \
            returns the hub's own events it holds. Until every active commune has synced, the hub's own decisions are \
            refused (`hub status` shows whom it waits for). `--finish --actor STAFF` stops waiting: decisions only the \
            missing communes hold are then lost to the hub.
            """)

    @Argument(help: "The backup file (made by `lienthong hub backup`).")
    var backup: String?
    @Flag(help: "Stop waiting for the communes that have not synced since the restore.") var finish = false
    @Option(help: "With --finish: the operator ending the wait, a staff id of the hub (see the hub's staff.json).") var actor: String?
    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        if finish {
            guard backup == nil else { throw ValidationError("give either a BACKUP file or --finish, not both") }
            guard actor != nil else { throw ValidationError("--finish needs --actor STAFF: who ends the wait") }
        } else {
            guard backup != nil else { throw ValidationError("give the BACKUP file to restore (or --finish --actor STAFF)") }
        }
    }

    func run() throws {
        let now = Int64(NodeContext.wallMilliseconds())
        if finish, let actor {
            let hub = try HubContext(data)
            guard hub.node.staffNames[actor] != nil else {
                FileHandle.standardError.write(
                    Data("error: --actor: \(actor) is not on the hub's staff list (\(hub.node.directory.path)/staff.json); nothing was changed\n".utf8))
                throw ExitCode(64)
            }
            do {
                let (recovery, reappended) = try hub.service.finishRecovery(actor: actor, now: now)
                let missing = recovery.waitingFor.isEmpty ? "" : " without \(recovery.waitingFor.joined(separator: ", "))"
                print("Finished the recovery\(missing): the hub writes again.")
                if reappended > 0 {
                    print("Wrote again \(reappended) returned decisions whose earlier events no commune held (each names the old one in `replaces`).")
                }
            } catch StoreError.refused(let reason) {
                FileHandle.standardError.write(Data("error: \(reason)\n".utf8))
                throw ExitCode(64)
            }
            return
        }
        guard let backup else { throw ValidationError("give the BACKUP file to restore") }
        // The database may be gone with a dead disk: the hub's key and files say it is a hub's directory.
        let directory = NodeDirectory(path: data.directory.path, role: .hub)
        guard FileManager.default.fileExists(atPath: directory.privateKeyPath) else {
            FileHandle.standardError.write(
                Data("error: \(directory.path) holds no hub (no hub.key); pass the hub's --data-dir, with hub.key and staff.json restored first\n".utf8))
            throw ExitCode(64)
        }
        let summary: HubRestoreSummary
        do {
            summary = try HubDatabase.restoreHub(backup: backup, path: directory.databasePath, now: now)
        } catch StoreError.refused(let reason) {
            FileHandle.standardError.write(Data("error: \(reason)\n".utf8))
            throw ExitCode(64)
        }
        print("Restored hub \(summary.hub) from \(backup): \(summary.events) events, its own decisions up to seq \(summary.ownHead).")
        if let kept = summary.keptAs { print("The database it replaced is kept as \(kept).") }
        print(
            "Start `lienthong hub run`: the communes re-push what the hub lost and return its own decisions they hold. "
                + "Its decisions are refused until these communes have synced: \(summary.waitingFor.isEmpty ? "none" : summary.waitingFor.joined(separator: ", ")) "
                + "(`lienthong hub status`; `hub restore --finish --actor STAFF` stops waiting).")
    }
}
