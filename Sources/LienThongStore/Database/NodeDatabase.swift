import Foundation
import GRDB
import LienThongCore

/// A node's SQLite database: the append-only event log, stored checkpoints, the keys of the origins
/// whose chains it holds, the node's identity and its clock.
///
/// Files are opened as a WAL `DatabasePool` with `synchronous=FULL`, so a write reported saved
/// survives a crash or power cut, and with a busy timeout, so the CLI, the daemon and the local API
/// can write the same file from different processes. Every append runs in one IMMEDIATE
/// transaction that reads and advances seq, hlc and the checkpoint; no process caches them.
public final class NodeDatabase: Sendable {
    /// The GRDB writer: a `DatabasePool` for files, a `DatabaseQueue` in memory.
    public let writer: any DatabaseWriter

    /// How long a writer waits for another process's write transaction before failing.
    public static let busyTimeout: TimeInterval = 30

    private init(writer: any DatabaseWriter) throws(StoreError) {
        self.writer = writer
        do {
            try Self.migrator.migrate(writer)
        } catch {
            throw StoreError.database(operation: "migrate the schema", reason: String(describing: error))
        }
    }

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    public convenience init(path: String) throws(StoreError) {
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: Self.configuration())
            // GRDB sets synchronous=NORMAL on the pool's writer after `prepareDatabase` when it
            // enables WAL; NORMAL can lose committed transactions on power loss. The writer
            // connection lives as long as the pool, so setting FULL once holds for every write.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw StoreError.database(operation: "open \(path)", reason: String(describing: error))
        }
        try self.init(writer: pool)
    }

    /// Opens the existing database file at `path`; fails if there is none.
    public static func openExisting(path: String, directory: String) throws(StoreError) -> NodeDatabase {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notInitialized(directory: directory) }
        return try NodeDatabase(path: path)
    }

    /// A new empty database in memory, through the real migrator (for tests).
    public static func inMemory() throws(StoreError) -> NodeDatabase {
        do {
            return try NodeDatabase(writer: DatabaseQueue(configuration: configuration()))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: "open an in-memory database", reason: String(describing: error))
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // Durable appends: a commit is on disk before the caller hears "saved". (For a
            // DatabasePool, GRDB overrides this on the writer; see init(path:).)
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Runs `work` in one IMMEDIATE write transaction: the write lock is taken at BEGIN, so what
    /// `work` reads cannot be changed by another process before it commits.
    func immediateTransaction<T>(_ operation: String, _ work: (Database) throws -> T) throws(StoreError) -> T {
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
    func snapshot<T>(_ operation: String, _ work: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(work)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: operation, reason: String(describing: error))
        }
    }
}
