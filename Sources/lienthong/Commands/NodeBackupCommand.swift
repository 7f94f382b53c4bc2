import ArgumentParser
import LienThongStore

/// `lienthong node backup FILE`: an online copy of the database.
struct NodeBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the node's database to a new file while the node keeps working.",
        discussion: """
            The copy is one consistent snapshot taken with SQLite's online backup API: it holds the log \
            as it was when the backup started. The file must not exist yet. The private key (node.key) \
            is not in the database: back it up separately. See the README for restoring.
            """)

    @Argument(help: "The backup file to create.")
    var file: String

    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let summary = try data.directory.openLog().backup(to: file)
        print("Backed up \(summary.eventCount) events to \(summary.path) (\(summary.bytes) bytes)")
    }
}
