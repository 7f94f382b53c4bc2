import Foundation
import GRDB
import LienThongCore

extension EventLogDatabase {
    /// Calls `body` with every dossier's state, folded from its stored events (at a hub, those not
    /// quarantined), and those events: the input of the reports, read from the events themselves and
    /// not from the projection, so a hub whose projector trails what it stored reports the same
    /// figures as the commune. One dossier's events are in memory at a time (a province-year is
    /// millions of events). With `agency`, only dossiers whose code begins with that agency code
    /// (the receiving office allocated it).
    public func forEachDossier(agency: String? = nil, _ body: (DossierState, [Event]) throws -> Void) throws(StoreError) {
        try snapshot("read the dossiers' events") { db in
            var sql = "SELECT dossier, canonical FROM event WHERE dossier IS NOT NULL"
            var arguments: StatementArguments = []
            if let agency {
                // Codes are `<agency>-<YYMMDD>-<NNNN>`: the range after "<agency>-" and before "<agency>." uses the index.
                sql += " AND dossier > ? AND dossier < ?"
                _ = arguments.append(contentsOf: [agency + "-", agency + "."])
            }
            sql += "\(Self.hiddenEventsCondition) ORDER BY dossier, position"
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            var code: String?
            var events: [Event] = []
            func flush() throws {
                guard let code, !events.isEmpty else { return }
                try body(DossierFold.fold(code: code, events: events), events)
            }
            while let row = try rows.next() {
                let dossier: String = row["dossier"]
                if dossier != code {
                    try flush()
                    code = dossier
                    events = []
                }
                events.append(try Self.decodeStored(row["canonical"]))
            }
            try flush()
        }
    }
}
