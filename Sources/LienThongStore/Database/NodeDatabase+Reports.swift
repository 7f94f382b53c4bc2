import Foundation
import GRDB
import LienThongCore

extension NodeDatabase {
    /// Every dossier's stored events (at a hub, those not quarantined), folded: the input of the
    /// reports, read from the events themselves and not from the projection, so a hub whose
    /// projector trails what it stored reports the same figures as the commune. With `agency`, only
    /// dossiers whose code begins with that agency code (the receiving office allocated it).
    public func foldedDossiers(agency: String? = nil) throws(StoreError) -> [(state: DossierState, events: [Event])] {
        let rows = try snapshot("read the dossiers' events") { db in
            var sql = "SELECT dossier, canonical FROM event WHERE dossier IS NOT NULL"
            var arguments: StatementArguments = []
            if let agency {
                // Codes are `<agency>-<YYMMDD>-<NNNN>`: the range after "<agency>-" and before "<agency>." uses the index.
                sql += " AND dossier > ? AND dossier < ?"
                _ = arguments.append(contentsOf: [agency + "-", agency + "."])
            }
            sql += " AND position NOT IN (SELECT eventPosition FROM quarantine) ORDER BY dossier, position"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in (row["dossier"] as String, try Self.decodeStored(row["canonical"])) }
        }
        var result: [(state: DossierState, events: [Event])] = []
        var start = rows.startIndex
        while start < rows.endIndex {
            let code = rows[start].0
            var end = start
            while end < rows.endIndex, rows[end].0 == code { end += 1 }
            let events = rows[start..<end].map(\.1)
            result.append((DossierFold.fold(code: code, events: events), events))
            start = end
        }
        return result
    }
}
