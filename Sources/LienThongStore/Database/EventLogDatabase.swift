import Foundation
import GRDB
import LienThongCore

/// A SQLite database that holds an append-only, hash-chained event log: a commune's
/// ``NodeDatabase`` or the hub's `HubDatabase` (in LienThongHub). Each has its own schema, made by
/// its own migrator from the shared log steps (``EventLogSchema``) and its role's steps; what both
/// do with the log — append, verify, fold into projections, back up — is written once, here and in
/// the `EventLogDatabase+…` extensions.
///
/// Files are opened as a WAL `DatabasePool` with `synchronous=FULL`, so a write reported saved
/// survives a crash or power cut, and with a busy timeout, so several processes (the CLI, the
/// daemon, the local API) can write one file. Every append runs in one IMMEDIATE transaction that
/// reads and advances seq, hlc and the checkpoint; no process caches them.
public protocol EventLogDatabase: AnyObject, Sendable {
    /// The GRDB writer: a `DatabasePool` for files, a `DatabaseQueue` in memory.
    var writer: any DatabaseWriter { get }

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    init(path: String) throws(StoreError)

    /// A new empty database in memory, through the real migrator (for tests).
    static func inMemory() throws(StoreError) -> Self

    /// What a reader of events should leave out, as an SQL condition on the `event` table's
    /// `position` ("" when nothing is): the hub quarantines events it stores but never folds.
    static var hiddenEventsCondition: String { get }
}

/// The busy timeout, configuration and opening shared by every event-log database.
public enum SQLiteFile {
    /// How long a writer waits for another process's write transaction before failing.
    public static let busyTimeout: TimeInterval = 30

    /// The configuration every LienThong database is opened with.
    public static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // Durable appends: a commit is on disk before the caller hears "saved". (For a
            // DatabasePool, GRDB overrides this on the writer; see `pool(path:)`.)
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Opens the database file at `path` (creating it if needed) as a WAL pool whose writer
    /// commits with `synchronous=FULL`.
    public static func pool(path: String) throws(StoreError) -> DatabasePool {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration())
            // GRDB sets synchronous=NORMAL on the pool's writer after `prepareDatabase` when it
            // enables WAL; NORMAL can lose committed transactions on power loss. The writer
            // connection lives as long as the pool, so setting FULL once holds for every write.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            return pool
        } catch {
            throw StoreError.database(operation: "open \(path)", reason: String(describing: error))
        }
    }

    /// A database in memory.
    public static func memory() throws(StoreError) -> DatabaseQueue {
        do {
            return try DatabaseQueue(configuration: configuration())
        } catch {
            throw StoreError.database(operation: "open an in-memory database", reason: String(describing: error))
        }
    }

    /// Brings `writer`'s schema up to date with `migrator`. A file whose applied steps this
    /// migrator does not know was made by another kind of database (a hub's file opened as a
    /// node's, or the reverse) or by an earlier build of one schema for both: it is refused, with
    /// nothing changed.
    public static func migrate(_ writer: any DatabaseWriter, with migrator: DatabaseMigrator, kind: String) throws(StoreError) {
        do {
            let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(migrator.migrations)
            if !unknown.isEmpty {
                throw StoreError.database(
                    operation: "open the \(kind) database",
                    reason: "the file holds schema steps a \(kind) does not have (\(unknown.sorted().joined(separator: ", "))): it is another "
                        + "kind of LienThong database, or was made by a build before the node and hub schemas were split; "
                        + "initialise a new data directory (see Docs/changelog.md)")
            }
            try migrator.migrate(writer)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: "migrate the schema", reason: String(describing: error))
        }
    }
}

extension EventLogDatabase {
    /// Opens the existing database file at `path`; fails if there is none.
    public static func openExisting(path: String, directory: String) throws(StoreError) -> Self {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notInitialized(directory: directory) }
        return try Self(path: path)
    }

    /// Runs `work` in one IMMEDIATE write transaction: the write lock is taken at BEGIN, so what
    /// `work` reads cannot be changed by another process before it commits. Nothing of it is kept
    /// if `work` throws.
    public func immediateTransaction<T>(_ operation: String, _ work: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try work(db)
                    return .commit
                }
                guard let result else { throw StoreError.database(operation: operation, reason: "transaction produced no result") }
                return result
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw StoreError.diskFull(operation: operation)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_IOERR {
            throw StoreError.diskFailed(operation: operation)
        } catch {
            throw StoreError.database(operation: operation, reason: String(describing: error))
        }
    }

    /// Runs `work` on one consistent snapshot of the database.
    public func snapshot<T>(_ operation: String, _ work: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(work)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: operation, reason: String(describing: error))
        }
    }

    /// The names of the tables this database holds (GRDB's own left out), sorted.
    public func tableNames() throws(StoreError) -> [String] {
        try snapshot("list the tables") { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
        }
    }
}
