import GRDB

/// The schema steps every event-log database starts with (DESIGN §2–§3): the log and its
/// checkpoints, the origins' keys, the replica's identity and clock, the projections the fold
/// refreshes, and the heartbeat of the process that serves the file. A ``NodeDatabase`` adds the
/// sync tables, the hub's database its own; neither holds the other's.
///
/// Steps are named and never edited once landed. The schemas were split in December 2026, before
/// anything shipped: files made by earlier builds are refused (``SQLiteFile/migrate(_:with:kind:)``).
public enum EventLogSchema {
    /// Registers the shared steps; a database's migrator calls this first.
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("log.v1.events") { db in
            // The log: keyed by (origin, seq); `position` is the arrival order at this replica.
            // `canonical` holds the whole event (hash included) as canonical JSON; the other
            // columns repeat fields of it for queries, and `node log verify` checks they agree.
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        position INTEGER PRIMARY KEY,
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL CHECK (seq >= 1),
                        epoch TEXT NOT NULL,
                        hlc TEXT NOT NULL,
                        dossier TEXT,
                        type TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        canonical BLOB NOT NULL,
                        UNIQUE (origin, seq)
                    );
                    CREATE INDEX event_dossier ON event(dossier) WHERE dossier IS NOT NULL;
                    -- Hub-wide events (published calendars and catalogues) are read at every
                    -- dossier write: a small partial index finds the newest without a scan.
                    CREATE INDEX event_hubWide ON event(type, origin, seq) WHERE dossier IS NULL;

                    -- Signed heads of each origin's chain (DESIGN §2).
                    CREATE TABLE checkpoint (
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        epoch TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        signature TEXT NOT NULL,
                        PRIMARY KEY (origin, seq)
                    ) WITHOUT ROWID;

                    -- Each origin's public key, by epoch: a replaced machine gets a new key
                    -- without invalidating the old history.
                    CREATE TABLE originKey (
                        origin TEXT NOT NULL,
                        epoch TEXT NOT NULL,
                        publicKey TEXT NOT NULL,
                        PRIMARY KEY (origin, epoch)
                    ) WITHOUT ROWID;

                    -- Who this replica is. One row.
                    CREATE TABLE localIdentity (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        origin TEXT NOT NULL,
                        epoch TEXT NOT NULL,
                        agencyCode TEXT NOT NULL,
                        officeName TEXT NOT NULL,
                        createdAt INTEGER NOT NULL
                    );

                    -- The hybrid logical clock's last value, advanced in the append transaction so
                    -- that it never goes backwards, also across restarts. One row.
                    CREATE TABLE clock (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        lastHLC TEXT NOT NULL
                    );

                    -- The serving process's heartbeat (`node run`, or `hub run`'s projector) and
                    -- how often it beats, so `status` knows when a beat is late. One row.
                    CREATE TABLE heartbeat (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        at INTEGER NOT NULL,
                        pid INTEGER NOT NULL,
                        intervalMs INTEGER NOT NULL DEFAULT 5000
                    );
                    """)
            // The log is append-only. A node moves a forked branch aside while it heals (its own
            // step relaxes the DELETE triggers for that one transaction); a hub never deletes.
            for table in ["event", "checkpoint", "originKey"] {
                for operation in ["UPDATE", "DELETE"] {
                    try db.execute(sql: refuse(operation, on: table))
                }
            }
        }
        migrator.registerMigration("log.v2.projections") { db in
            try db.execute(
                sql: """
                    -- The dossier-code counter (DESIGN §4): per agency per Vietnam day, advanced in the
                    -- append transaction of the dossier.received it numbers.
                    CREATE TABLE dossierCounter (
                        agency TEXT NOT NULL,
                        day TEXT NOT NULL,
                        last INTEGER NOT NULL,
                        PRIMARY KEY (agency, day)
                    ) WITHOUT ROWID;

                    -- Projections: a pure function of the events, refreshed for each touched dossier
                    -- in the transaction that appends to it; `node rebuild` drops and refills them.
                    CREATE TABLE dossierView (
                        code TEXT PRIMARY KEY,
                        status TEXT,
                        owner TEXT,
                        receivingOffice TEXT,
                        procedureCode TEXT NOT NULL,
                        procedureName TEXT NOT NULL,
                        fieldCode TEXT NOT NULL,
                        applicantName TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        receivedAt INTEGER,
                        appointment INTEGER,
                        finishedAt INTEGER,
                        openConflicts INTEGER NOT NULL,
                        statusConflict INTEGER NOT NULL,
                        needsUpgrade INTEGER NOT NULL,
                        waiting INTEGER NOT NULL,
                        stateHash TEXT NOT NULL,
                        state TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX dossierView_appointment ON dossierView(appointment);

                    CREATE TABLE conflictView (
                        dossier TEXT NOT NULL,
                        id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        origin TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        owner TEXT NOT NULL,
                        status TEXT NOT NULL,
                        reasonVi TEXT NOT NULL,
                        reasonEn TEXT NOT NULL,
                        resolution TEXT NOT NULL,
                        resolvedBy TEXT,
                        PRIMARY KEY (dossier, id)
                    ) WITHOUT ROWID;

                    CREATE TABLE handoverView (
                        dossier TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        event TEXT NOT NULL,
                        office TEXT NOT NULL,
                        fromActor TEXT NOT NULL,
                        toActor TEXT NOT NULL,
                        step TEXT NOT NULL,
                        stepName TEXT NOT NULL,
                        allottedHours INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        due INTEGER,
                        completedAt INTEGER,
                        outcome TEXT,
                        PRIMARY KEY (dossier, position)
                    ) WITHOUT ROWID;
                    """)
        }
    }

    /// A trigger that refuses `operation` (UPDATE or DELETE) on `table`, which is append-only.
    public static func refuse(_ operation: String, on table: String) -> String {
        """
        CREATE TRIGGER \(table)_refuse_\(operation.lowercased()) BEFORE \(operation) ON \(table)
        BEGIN
            SELECT RAISE(ABORT, '\(table) is append-only: \(operation) refused');
        END
        """
    }
}
