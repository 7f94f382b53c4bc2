import Foundation
import GRDB
import LienThongCore

/// A commune's (xã) node database: the event log it shares the code of with the hub's
/// (``EventLogDatabase``), and what only a node keeps — the hub it syncs with, its cursors and the
/// hub's signed pages, its sync attempts, the local API's replays, and the evidence of healed forks.
public final class NodeDatabase: EventLogDatabase {
    public let writer: any DatabaseWriter

    private init(writer: any DatabaseWriter) throws(StoreError) {
        self.writer = writer
        try SQLiteFile.migrate(writer, with: Self.migrator, kind: "node")
    }

    public convenience init(path: String) throws(StoreError) {
        try self.init(writer: try SQLiteFile.pool(path: path))
    }

    public static func inMemory() throws(StoreError) -> NodeDatabase {
        try NodeDatabase(writer: try SQLiteFile.memory())
    }

    /// A node holds nothing it does not fold.
    public static var hiddenEventsCondition: String { "" }
}
