import Foundation
import GRDB
import LienThongCore
import LienThongStore

/// A suspected clone at the hub (DESIGN §5): two machines write as one origin with interleaved
/// histories. While it is open the hub holds every batch of the origin as evidence; the operator
/// keeps one epoch and fences the others.
public struct CloneSuspicion: Sendable, Hashable {
    /// One epoch of the origin and what the hub has of it.
    public struct Side: Sendable, Hashable {
        public var epoch: String
        /// Events of this epoch in the hub's chain.
        public var stored: Int
        /// Events of this epoch held as evidence (pushed while the suspicion was open, or the
        /// branch that opened it).
        public var held: Int
        /// The newest held event's seq and when it was held.
        public var lastHeldSeq: Int?
        public var lastHeldAt: Int64?
    }

    public var id: Int
    public var origin: String
    /// The epoch whose push diverged, and the seq where it did.
    public var epoch: String
    public var divergedAt: Int
    public var since: Int64
    public var reason: String
    /// The epoch of the newest event in the hub's chain.
    public var currentEpoch: String?
    /// Every epoch the operator may keep: the current one and each one held.
    public var sides: [Side]
    public var resolvedAt: Int64?
    public var resolvedBy: String?
    public var keptEpoch: String?
    public var fencedEpochs: [String]

    public var isOpen: Bool { resolvedAt == nil }

    public var json: JSONValue {
        [
            "id": .integer(id), "origin": .string(origin), "epoch": .string(epoch), "divergedAt": .integer(divergedAt),
            "since": .integer(Int(since)), "reason": .string(reason), "currentEpoch": currentEpoch.map(JSONValue.string) ?? .null,
            "sides": .array(
                sides.map { side in
                    [
                        "epoch": .string(side.epoch), "stored": .integer(side.stored), "held": .integer(side.held),
                        "lastHeldSeq": side.lastHeldSeq.map(JSONValue.integer) ?? .null,
                        "lastHeldAt": side.lastHeldAt.map { .integer(Int($0)) } ?? .null,
                    ]
                }),
            "resolvedAt": resolvedAt.map { .integer(Int($0)) } ?? .null, "resolvedBy": resolvedBy.map(JSONValue.string) ?? .null,
            "keptEpoch": keptEpoch.map(JSONValue.string) ?? .null, "fencedEpochs": .array(fencedEpochs.map(JSONValue.string)),
        ]
    }
}

extension HubDatabase {
    /// Hub: the clone suspicions, open ones first, newest first.
    public func cloneSuspicions(openOnly: Bool) throws(StoreError) -> [CloneSuspicion] {
        try snapshot("read clone suspicions") { db in try Self.fetchCloneSuspicions(db, openOnly: openOnly) }
    }

    static func fetchCloneSuspicions(_ db: Database, openOnly: Bool) throws -> [CloneSuspicion] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM cloneSuspicion \(openOnly ? "WHERE resolvedAt IS NULL" : "") ORDER BY resolvedAt IS NOT NULL, id DESC"
        ).map { row in try suspicion(row, db) }
    }

    static func suspicion(_ row: Row, _ db: Database) throws -> CloneSuspicion {
        let id: Int = row["id"]
        let origin: String = row["origin"]
        let current = try String.fetchOne(db, sql: "SELECT epoch FROM event WHERE origin = ? ORDER BY seq DESC LIMIT 1", arguments: [origin])
        var sides: [String: CloneSuspicion.Side] = [:]
        for epoch in [current].compactMap({ $0 }) + [row["epoch"] as String] {
            sides[epoch] = CloneSuspicion.Side(epoch: epoch, stored: 0, held: 0)
        }
        for held in try Row.fetchAll(
            db,
            sql: """
                SELECT epoch, COUNT(*) AS held, MAX(seq) AS lastSeq, MAX(heldAt) AS lastAt FROM cloneEvidence
                WHERE suspicion = ? GROUP BY epoch
                """, arguments: [id])
        {
            let epoch: String = held["epoch"]
            sides[epoch] = CloneSuspicion.Side(epoch: epoch, stored: 0, held: held["held"], lastHeldSeq: held["lastSeq"], lastHeldAt: held["lastAt"])
        }
        for row in try Row.fetchAll(db, sql: "SELECT epoch, COUNT(*) AS stored FROM event WHERE origin = ? GROUP BY epoch", arguments: [origin]) {
            sides[row["epoch"] as String]?.stored = row["stored"]
        }
        let fenced: String? = row["fencedEpochs"]
        return CloneSuspicion(
            id: id, origin: origin, epoch: row["epoch"], divergedAt: row["divergedAt"], since: row["since"], reason: row["reason"],
            currentEpoch: current,
            sides: sides.values.sorted {
                ($0.epoch == current ? 0 : 1, $0.lastHeldAt ?? 0, $0.epoch) < ($1.epoch == current ? 0 : 1, $1.lastHeldAt ?? 0, $1.epoch)
            },
            resolvedAt: row["resolvedAt"], resolvedBy: row["resolvedBy"], keptEpoch: row["keptEpoch"],
            fencedEpochs: fenced.map { $0.split(separator: ",").map(String.init) } ?? [])
    }
}
