import Foundation
import GRDB
import LienThongCore

/// One row of `lienthong conflicts list`, from the conflict projection.
public struct ConflictRow: Sendable, Hashable {
    public var dossier: String
    public var id: String
    public var type: String
    public var origin: String
    public var actor: String
    public var at: Int64
    public var owner: String
    public var status: String
    public var reasonVietnamese: String
    public var reasonEnglish: String
    public var resolution: String
    public var resolvedBy: String?

    public var json: JSONValue {
        [
            "dossier": .string(dossier), "id": .string(id), "type": .string(type), "origin": .string(origin), "actor": .string(actor),
            "at": .integer(Int(at)), "owner": .string(owner), "status": .string(status), "reasonVi": .string(reasonVietnamese),
            "reasonEn": .string(reasonEnglish), "resolution": .string(resolution), "resolvedBy": resolvedBy.map(JSONValue.string) ?? .null,
        ]
    }
}

extension EventLogDatabase {
    /// The conflicts the fold recorded, newest first: the open ones, or all.
    public func conflicts(openOnly: Bool, limit: Int = 1000) throws(StoreError) -> [ConflictRow] {
        try snapshot("read conflicts") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT dossier, id, type, origin, actor, at, owner, status, reasonVi, reasonEn, resolution, resolvedBy FROM conflictView
                    \(openOnly ? "WHERE resolution = 'open'" : "") ORDER BY at DESC, id LIMIT ?
                    """,
                arguments: [limit]
            ).map { row in
                ConflictRow(
                    dossier: row["dossier"], id: row["id"], type: row["type"], origin: row["origin"], actor: row["actor"], at: row["at"],
                    owner: row["owner"], status: row["status"], reasonVietnamese: row["reasonVi"], reasonEnglish: row["reasonEn"],
                    resolution: row["resolution"], resolvedBy: row["resolvedBy"])
            }
        }
    }

    /// The dossier holding conflict `id` (`<origin>-<seq>` of the unapplied event).
    public func dossier(ofConflict id: String) throws(StoreError) -> String? {
        try snapshot("find a conflict") { db in
            try String.fetchOne(db, sql: "SELECT dossier FROM conflictView WHERE id = ? LIMIT 1", arguments: [id])
        }
    }
}
