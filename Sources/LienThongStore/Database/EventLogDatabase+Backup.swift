import Foundation
import GRDB
import LienThongCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `node backup` wrote.
public struct BackupSummary: Sendable {
    public let path: String
    public let eventCount: Int
    public let bytes: Int
}

extension EventLogDatabase {
    /// Copies the database to a new file at `path` with SQLite's online backup API, from one read
    /// snapshot: writers go on meanwhile, and the copy holds a prefix of the log as it was when
    /// the backup started. The copy is written beside `path`, synced, then renamed into place, so
    /// `path` is either absent or a complete database. It is a self-contained file (rollback
    /// journal, not WAL).
    ///
    /// - Throws: ``StoreError/backupTargetExists(path:)`` if `path` exists; nothing is written then.
    public func backup(to path: String) throws(StoreError) -> BackupSummary {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: path) else { throw StoreError.backupTargetExists(path: path) }
        let partial = path + ".partial"
        try? fileManager.removeItem(atPath: partial)
        do {
            let destination = try DatabaseQueue(path: partial)
            try writer.backup(to: destination)
            try destination.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            try destination.close()
            try Self.syncToDisk(path: partial)
            guard rename(partial, path) == 0 else {
                throw StoreError.file(path: path, operation: "move the backup into place at", reason: String(cString: strerror(errno)))
            }
            let directory = (path as NSString).deletingLastPathComponent
            try Self.syncToDisk(path: directory.isEmpty ? "." : directory)
        } catch let error as StoreError {
            try? fileManager.removeItem(atPath: partial)
            throw error
        } catch {
            try? fileManager.removeItem(atPath: partial)
            throw StoreError.database(operation: "back up to \(path)", reason: String(describing: error))
        }
        let count: Int
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let copy = try DatabaseQueue(path: path, configuration: configuration)
            count = try copy.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
            try copy.close()
        } catch {
            throw StoreError.database(operation: "read back the backup \(path)", reason: String(describing: error))
        }
        let bytes = (try? fileManager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return BackupSummary(path: path, eventCount: count, bytes: bytes)
    }

    /// Flushes a file or directory to disk.
    public static func syncToDisk(path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.file(path: path, operation: "open for sync", reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw StoreError.file(path: path, operation: "sync", reason: String(cString: strerror(errno)))
        }
    }
}
