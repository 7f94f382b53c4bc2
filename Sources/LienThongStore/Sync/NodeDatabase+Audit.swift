import Foundation
import GRDB
import LienThongCore

extension NodeDatabase {
    /// The hash of each event moved out of the log by a healed fork (DESIGN §5).
    public func forkedEventHashes() throws(StoreError) -> [String] {
        try snapshot("read forked events") { db in try String.fetchAll(db, sql: "SELECT hash FROM forkedEvent ORDER BY heal, seq") }
    }

    /// How many forks this node healed (rows of `forkHeal`).
    public func forkHeals() throws(StoreError) -> Int {
        try snapshot("count healed forks") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM forkHeal") ?? 0 }
    }
}
