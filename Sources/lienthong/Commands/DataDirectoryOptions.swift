import ArgumentParser
import Foundation
import LienThongStore

/// Where the node's files are: `--data-dir`, else `LIENTHONG_DATA_DIR`, else `./lienthong-data`.
struct DataDirectoryOptions: ParsableArguments {
    static let environmentKey = "LIENTHONG_DATA_DIR"
    static let defaultPath = "lienthong-data"

    @Option(name: .customLong("data-dir"), help: "The node's data directory (env LIENTHONG_DATA_DIR; default ./lienthong-data).")
    var dataDir: String?

    var directory: NodeDirectory {
        let path = dataDir ?? ProcessInfo.processInfo.environment[Self.environmentKey] ?? Self.defaultPath
        return NodeDirectory(path: path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path)
    }
}

