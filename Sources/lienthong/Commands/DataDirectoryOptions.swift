import ArgumentParser
import Foundation
import LienThongStore

/// Where the node's files are: `--data-dir`, else `LIENTHONG_DATA_DIR`, else `./lienthong-data`.
struct DataDirectoryOptions: ParsableArguments {
    static let environmentKey = "LIENTHONG_DATA_DIR"
    static let defaultPath = "lienthong-data"

    @Option(name: .customLong("data-dir"), help: "The node's data directory (env LIENTHONG_DATA_DIR; default ./lienthong-data).")
    var dataDir: String?

    /// The directory; a hub's (made by `hub init`, holding `hub.sqlite`) is recognised as such, so
    /// the dossier commands work on either.
    var directory: NodeDirectory {
        let path = dataDir ?? ProcessInfo.processInfo.environment[Self.environmentKey] ?? Self.defaultPath
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let hub = NodeDirectory(path: trimmed, role: .hub)
        return FileManager.default.fileExists(atPath: hub.databasePath) ? hub : NodeDirectory(path: trimmed)
    }
}
