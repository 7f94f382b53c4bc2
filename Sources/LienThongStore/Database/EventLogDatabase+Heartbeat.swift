import Foundation
import GRDB
import LienThongCore

extension EventLogDatabase {
    /// Records that the daemon is alive, and how often it beats (so `status` knows a late beat).
    public func beat(now: Int64, pid: Int32, intervalMs: Int64) throws(StoreError) {
        try immediateTransaction("record the heartbeat") { db in
            try db.execute(
                sql: """
                    INSERT INTO heartbeat (id, at, pid, intervalMs) VALUES (1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET at = excluded.at, pid = excluded.pid, intervalMs = excluded.intervalMs
                    """,
                arguments: [now, pid, intervalMs])
        }
    }

    /// The last heartbeat of the process that beats here (`node run`, or `hub run`'s projector).
    public static func fetchHeartbeat(_ db: Database) throws -> (at: Int64, pid: Int32, intervalMs: Int64)? {
        try Row.fetchOne(db, sql: "SELECT at, pid, intervalMs FROM heartbeat WHERE id = 1").map { ($0["at"], $0["pid"], $0["intervalMs"]) }
    }
}
