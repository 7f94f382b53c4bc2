import Foundation
import GRDB

/// Damage done to a node database on purpose, as a disk error or a hand edit would: the append-only
/// trigger is dropped first, which only someone with the file in hand can do.
public enum Tamper {
    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
    }

    /// Flips the lowest bit of one byte of event `seq`'s stored bytes: the byte `offset` bytes into
    /// the first occurrence of `marker`.
    public static func flipByte(ofEvent seq: Int, at marker: String, offset: Int = 0, in db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS event_refuse_update")
        guard var bytes = try Data.fetchOne(db, sql: "SELECT canonical FROM event WHERE seq = ?", arguments: [seq]).map(Array.init)
        else { throw NotFound(description: "no event with seq \(seq)") }
        let pattern = Array(marker.utf8)
        guard let start = bytes.indices.first(where: { bytes[$0...].starts(with: pattern) }) else {
            throw NotFound(description: "event \(seq) does not contain \"\(marker)\"")
        }
        bytes[start + offset] ^= 0x01
        try db.execute(sql: "UPDATE event SET canonical = ? WHERE seq = ?", arguments: [Data(bytes), seq])
    }

    /// Changes the first hex digit of the signature of the checkpoint at `seq`.
    public static func corruptCheckpointSignature(seq: Int, in db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS checkpoint_refuse_update")
        guard let signature = try String.fetchOne(db, sql: "SELECT signature FROM checkpoint WHERE seq = ?", arguments: [seq])
        else { throw NotFound(description: "no checkpoint at seq \(seq)") }
        let corrupted = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
        try db.execute(sql: "UPDATE checkpoint SET signature = ? WHERE seq = ?", arguments: [corrupted, seq])
    }

    /// Changes the first hex digit of the hash that stored feed entry `position` names, as a hand
    /// edit would: the page that signed it no longer verifies.
    public static func rewriteFeedEntryHash(position: Int, in db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS feedEntry_refuse_update")
        guard let hash = try String.fetchOne(db, sql: "SELECT hash FROM feedEntry WHERE position = ?", arguments: [position])
        else { throw NotFound(description: "no feed entry at position \(position)") }
        let rewritten = (hash.first == "0" ? "1" : "0") + hash.dropFirst()
        try db.execute(sql: "UPDATE feedEntry SET hash = ? WHERE position = ?", arguments: [rewritten, position])
    }

    /// Deletes the stored event `origin` `seq`, as a hand edit would.
    public static func deleteEvent(origin: String, seq: Int, in db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS event_refuse_delete")
        try db.execute(sql: "DELETE FROM event WHERE origin = ? AND seq = ?", arguments: [origin, seq])
        guard db.changesCount == 1 else { throw NotFound(description: "no event \(origin) seq \(seq)") }
    }
}
