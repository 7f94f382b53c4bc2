import Foundation
import GRDB
import LienThongCore
import LienThongStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A hub restored from a backup taking its own lost events back (DESIGN §5): one row of
/// `hubRecovery`, with the nodes it still waits for.
public struct HubRecovery: Sendable, Hashable {
    public var id: Int
    public var startedAt: Int64
    /// The hub's own head in the restored backup.
    public var headAtStart: Int
    /// The backup file it was restored from, as given to `hub restore`.
    public var backup: String
    public var finishedAt: Int64?
    /// "every commune returned", "no active commune", "superseded by a later restore", or the
    /// operator who ended the wait (`hub restore --finish`).
    public var finishedBy: String?
    /// Returned events that could not continue the chain (one before them was held by no node)
    /// and were written again at the end of the recovery, naming the old hash in `replaces`.
    public var reappended: Int?
    /// Active nodes that have not yet returned what they hold (empty once finished).
    public var waitingFor: [String]
    /// Returned events held aside, waiting for an earlier event of the chain.
    public var heldAside: Int

    public var isOpen: Bool { finishedAt == nil }

    /// The message a refused hub decision carries while the recovery is open.
    public var refusal: String {
        let waiting = waitingFor.isEmpty ? "" : " (still waiting for: \(waitingFor.joined(separator: ", ")))"
        return "the hub was restored from a backup and is taking its own events back from the communes\(waiting); "
            + "its decisions are refused until every active commune has synced. Wait for them, or end the wait with "
            + "`lienthong hub restore --finish --actor STAFF` (decisions only those communes hold are then lost to the hub)"
    }
}

extension HubDatabase {
    /// Records that this hub's database was just restored from `backup` (`lienthong hub restore`):
    /// until every active node has returned the hub's own events it holds, the hub's own writes are
    /// refused. A recovery the backup itself had open is closed as superseded.
    @discardableResult
    public func startHubRecovery(backup: String, hub: String, now: Int64) throws(StoreError) -> Int {
        try immediateTransaction("start a hub recovery") { db in
            try db.execute(
                sql: "UPDATE hubRecovery SET finishedAt = ?, finishedBy = 'superseded by a later restore' WHERE finishedAt IS NULL", arguments: [now])
            let head = try Self.fetchHead(db, origin: hub)?.seq ?? 0
            try db.execute(
                sql: "INSERT INTO hubRecovery (startedAt, headAtStart, backup) VALUES (?, ?, ?)", arguments: [now, head, backup])
            let id = Int(db.lastInsertedRowID)
            // No active node can hold what the backup lacks: nothing to wait for.
            if try Self.fetchWaitingNodes(db, recovery: id).isEmpty {
                try SQLiteHubTransaction(db: db).finishRecovery(id, by: "no active commune", reappended: 0, now: now)
            }
            return id
        }
    }

    /// What every pulled page tells the node, in one read: the hub's head for the node's own
    /// origin, the hub's own head, and when the open recovery started — what names it to nodes: a
    /// restore from an older backup starts its row ids again, never its time.
    public func pullHeads(node: String, hub: String) throws(StoreError) -> (stored: Int, hubHead: Int, recovery: Int?) {
        try snapshot("read the heads for a page") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = ?) AS stored,
                        (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = ?) AS hubHead,
                        (SELECT startedAt FROM hubRecovery WHERE finishedAt IS NULL ORDER BY id DESC LIMIT 1) AS recovery
                    """,
                arguments: [node, hub])
            return (row?["stored"] ?? 0, row?["hubHead"] ?? 0, row?["recovery"])
        }
    }

    /// The newest recovery (open or finished), if the hub was ever restored.
    public func hubRecovery() throws(StoreError) -> HubRecovery? {
        try snapshot("read the hub's recovery") { db in try Self.fetchRecovery(db, openOnly: false) }
    }

    static func fetchRecovery(_ db: Database, openOnly: Bool) throws -> HubRecovery? {
        guard let hub = try fetchIdentity(db)?.origin else { throw StoreError.missingIdentity }
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT * FROM hubRecovery \(openOnly ? "WHERE finishedAt IS NULL " : "")ORDER BY id DESC LIMIT 1")
        else { return nil }
        let id: Int = row["id"]
        let finishedAt: Int64? = row["finishedAt"]
        return HubRecovery(
            id: id, startedAt: row["startedAt"], headAtStart: row["headAtStart"], backup: row["backup"], finishedAt: finishedAt,
            finishedBy: row["finishedBy"], reappended: row["reappended"],
            waitingFor: finishedAt == nil ? try fetchWaitingNodes(db, recovery: id) : [],
            heldAside: try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM hubReturned WHERE recovery = ? AND seq > (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = ?)",
                arguments: [id, hub]) ?? 0)
    }

    /// Active nodes (enrolled, not revoked) that have not reported returning everything.
    static func fetchWaitingNodes(_ db: Database, recovery: Int) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT node FROM hubNode WHERE credentialHash IS NOT NULL AND revokedAt IS NULL
                    AND node NOT IN (SELECT node FROM hubReturnReport WHERE recovery = ?)
                ORDER BY node
                """,
            arguments: [recovery])
    }
}

extension SQLiteHubTransaction {
    /// The open recovery, if the hub is taking its own events back.
    public func openRecovery() throws -> HubRecovery? { try HubDatabase.fetchRecovery(db, openOnly: true) }

    /// Keeps every proven returned event beyond the head as evidence (those that continue the
    /// chain are then stored from here; the others wait for their predecessor). The first copy of
    /// a seq stays.
    public func holdReturned(_ events: [Event], recovery: Int, node: String, now: Int64) throws {
        let insert = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO hubReturned (recovery, seq, hash, canonical, node, returnedAt) VALUES (?, ?, ?, ?, ?, ?)")
        for event in events {
            try insert.execute(arguments: [recovery, event.seq, event.hash, Data(event.storedBytes), node, now])
        }
    }

    /// The events held aside in `recovery` after `afterSeq`, by seq.
    public func returned(recovery: Int, afterSeq: Int) throws -> [Event] {
        try Data.fetchAll(
            db, sql: "SELECT canonical FROM hubReturned WHERE recovery = ? AND seq > ? ORDER BY seq", arguments: [recovery, afterSeq]
        ).map { try HubDatabase.decodeStored($0) }
    }

    /// Records that `node` has returned every event of the hub it holds (up to `held`).
    public func reportReturned(recovery: Int, node: String, held: Int, now: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO hubReturnReport (recovery, node, held, at) VALUES (?, ?, ?, ?)
                ON CONFLICT (recovery, node) DO UPDATE SET held = MAX(held, excluded.held), at = excluded.at
                """,
            arguments: [recovery, node, held, now])
    }

    public func waitingNodes(recovery: Int) throws -> [String] { try HubDatabase.fetchWaitingNodes(db, recovery: recovery) }

    public func finishRecovery(_ id: Int, by: String, reappended: Int, now: Int64) throws {
        try db.execute(
            sql: "UPDATE hubRecovery SET finishedAt = ?, finishedBy = ?, reappended = ? WHERE id = ?", arguments: [now, by, reappended, id])
    }

    /// After a restore, `node`'s feed continues after `position` (the node holds up to there), so
    /// no position it holds is used again.
    public func rebaseFeed(node: String, after position: Int) throws {
        touched.feeds = true
        try db.execute(
            sql: "INSERT INTO feedBase (node, position) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET position = MAX(position, excluded.position)",
            arguments: [node, position])
    }
}

/// What `lienthong hub restore` did.
public struct HubRestoreSummary: Sendable {
    public var hub: String
    public var events: Int
    /// The hub's own head in the backup.
    public var ownHead: Int
    /// Where the database that was replaced now is (nil when there was none).
    public var keptAs: String?
    /// The recovery, as nodes know it: when it started (Unix ms).
    public var recovery: Int
    /// Active nodes the recovery waits for.
    public var waitingFor: [String]
}

extension HubDatabase {
    /// Replaces the hub database at `path` with the backup at `backup` and opens a recovery
    /// (DESIGN §5): the hub must not be running (a heartbeat fresh within three beats from a live
    /// process refuses);
    /// the backup must hold this hub (same origin and epoch as the database it replaces) and
    /// verify. The replaced files are kept beside it (`.before-restore-<now>`), never deleted.
    /// Nothing changes when any check fails.
    public static func restoreHub(backup: String, path: String, now: Int64) throws(StoreError) -> HubRestoreSummary {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: backup) else {
            throw StoreError.file(path: backup, operation: "restore from", reason: "no such file; give a file made by `lienthong hub backup`")
        }
        var expected: LocalIdentity?
        // Each node's feed end in the database being replaced: the restored feeds continue after
        // them, so nothing routed after the restore lands on a position a node already holds.
        var feedEnds: [(node: String, end: Int)] = []
        if fileManager.fileExists(atPath: path) {
            let current = try HubDatabase(path: path)
            let (identity, beat) = try current.snapshot("read the hub before a restore") { db in (try fetchIdentity(db), try fetchHeartbeat(db)) }
            feedEnds = try current.snapshot("read the feeds before a restore") { db in
                try String.fetchAll(db, sql: "SELECT node FROM hubNode UNION SELECT node FROM feedBase").map { ($0, try fetchFeedEnd(db, node: $0)) }
            }
            // A fresh beat from a process that is still alive (signal 0 only asks whether it exists).
            if let beat, now - beat.at < beat.intervalMs * 3, kill(beat.pid, 0) == 0 || errno == EPERM {
                throw StoreError.refused(
                    "`lienthong hub run` (pid \(beat.pid)) beat \((now - beat.at) / 1000) s ago: stop it before restoring; nothing was changed")
            }
            expected = identity
        }
        let staging = path + ".restoring"
        let suffixes = ["", "-wal", "-shm"]
        func discard() { for suffix in suffixes { try? fileManager.removeItem(atPath: staging + suffix) } }
        discard()
        do {
            try fileManager.copyItem(atPath: backup, toPath: staging)
        } catch {
            throw StoreError.file(path: backup, operation: "copy", reason: String(describing: error))
        }
        let restored: (identity: LocalIdentity, events: Int, ownHead: Int)
        do {
            let database = try HubDatabase(path: staging)
            guard let identity = try database.identity() else {
                throw StoreError.refused("\(backup) holds no identity: it is not a LienThong database; nothing was changed")
            }
            if let expected, expected.origin != identity.origin || expected.epoch != identity.epoch {
                throw StoreError.refused(
                    "\(backup) is a backup of \(identity.origin) (epoch \(identity.epoch.prefix(8))), not of this hub \(expected.origin) "
                        + "(epoch \(expected.epoch.prefix(8))); nothing was changed")
            }
            if let problem = try database.verify().firstProblem {
                throw StoreError.refused("\(backup) does not verify (\(problem)); nothing was changed")
            }
            restored = (identity, try database.eventCount(), try database.head(origin: identity.origin)?.seq ?? 0)
            // The recovery is recorded before the files are swapped: a crash after the swap must
            // never leave a restored hub that writes decisions at seqs the nodes hold.
            try database.immediateTransaction("continue the feeds after a restore") { db in
                for (node, end) in feedEnds { try SQLiteHubTransaction(db: db).rebaseFeed(node: node, after: end) }
            }
            _ = try database.startHubRecovery(backup: backup, hub: identity.origin, now: now)
            try database.writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch let error as StoreError {
            discard()
            throw error
        } catch {
            discard()
            throw StoreError.database(operation: "check the backup \(backup)", reason: String(describing: error))
        }
        var keptAs: String?
        /// Renames every file of database `from` to `to`; on a failure, puts back what it moved.
        func move(_ from: String, _ to: String, _ operation: String) throws(StoreError) {
            var moved: [String] = []
            for suffix in suffixes where fileManager.fileExists(atPath: from + suffix) {
                guard rename(from + suffix, to + suffix) == 0 else {
                    let reason = String(cString: strerror(errno))
                    for done in moved { _ = rename(to + done, from + done) }
                    throw StoreError.file(path: from + suffix, operation: operation, reason: reason)
                }
                moved.append(suffix)
            }
        }
        if fileManager.fileExists(atPath: path) {
            let aside = path + ".before-restore-\(now)"
            try move(path, aside, "move aside")
            do {
                try move(staging, path, "move the backup into place from")
            } catch {
                try? move(aside, path, "put back")
                throw error
            }
            keptAs = aside
        } else {
            try move(staging, path, "move the backup into place from")
        }
        let directory = (path as NSString).deletingLastPathComponent
        try syncToDisk(path: directory.isEmpty ? "." : directory)
        let database = try HubDatabase(path: path)
        guard let recovery = try database.hubRecovery() else { throw StoreError.missingIdentity }
        return HubRestoreSummary(
            hub: restored.identity.origin, events: restored.events, ownHead: restored.ownHead, keptAs: keptAs, recovery: Int(recovery.startedAt),
            waitingFor: recovery.waitingFor)
    }
}
