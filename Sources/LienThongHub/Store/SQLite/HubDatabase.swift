import Foundation
import GRDB
import LienThongCore
import LienThongStore

/// The hub's SQLite database (`hub.sqlite`): the event log it shares the code of with a commune's
/// node (``EventLogDatabase``), and what only the hub keeps — the nodes it serves and their
/// credentials, one feed per node, who may see each dossier, quarantined events, clone suspicions
/// and their evidence, recoveries after a restore, and how far the projector has folded. The
/// operations on it are intention-named extensions (`HubDatabase+…`); ``SQLiteHubStore`` offers them
/// to the hub service as a ``HubStore``.
public final class HubDatabase: EventLogDatabase {
    public let writer: any DatabaseWriter

    private init(writer: any DatabaseWriter) throws(StoreError) {
        self.writer = writer
        try SQLiteFile.migrate(writer, with: Self.migrator, kind: "hub")
    }

    public convenience init(path: String) throws(StoreError) {
        try self.init(writer: try SQLiteFile.pool(path: path))
    }

    public static func inMemory() throws(StoreError) -> HubDatabase {
        try HubDatabase(writer: try SQLiteFile.memory())
    }

    /// Quarantined events are stored, never folded or delivered.
    public static var hiddenEventsCondition: String { " AND position NOT IN (SELECT eventPosition FROM quarantine)" }

    /// The hub's schema: the shared log steps (``EventLogSchema``), then the hub's own. Named
    /// steps, never edited once landed.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        EventLogSchema.register(in: &migrator)
        migrator.registerMigration("hub.v1.nodesAndFeeds") { db in
            try db.execute(
                sql: """
                    -- The nodes it serves. Only the credential's SHA-256 is kept. What a node told
                    -- about itself at its last contact (its head and clock, sent in request
                    -- headers), when the hub last held everything it reported, and when the
                    -- operator revoked it.
                    CREATE TABLE hubNode (
                        node TEXT PRIMARY KEY,
                        credentialHash TEXT,
                        enrolledAt INTEGER,
                        lastSeenAt INTEGER,
                        delivered INTEGER NOT NULL DEFAULT 0,
                        reportedHead INTEGER,
                        skewMs INTEGER,
                        caughtUpAt INTEGER,
                        revokedAt INTEGER
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX hubNode_credential ON hubNode(credentialHash);

                    -- One-time enrolment tokens (`hub enroll NODE`), by SHA-256.
                    CREATE TABLE enrolmentToken (
                        tokenHash TEXT PRIMARY KEY,
                        node TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        expiresAt INTEGER NOT NULL,
                        usedAt INTEGER
                    ) WITHOUT ROWID;

                    -- One feed per node (DESIGN §5), positions 1, 2, 3 … per node; `addedAt`: when
                    -- the entry was added, so an undelivered decision's age counts from when the
                    -- node could first have pulled it.
                    CREATE TABLE feed (
                        node TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        eventPosition INTEGER NOT NULL,
                        addedAt INTEGER,
                        PRIMARY KEY (node, position)
                    ) WITHOUT ROWID;

                    -- The origins that may see and touch a dossier: its receiving office and
                    -- every office it was forwarded to.
                    CREATE TABLE dossierAudience (
                        dossier TEXT NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (dossier, origin)
                    ) WITHOUT ROWID;

                    -- Stored events not delivered and not folded, and why.
                    CREATE TABLE quarantine (
                        eventPosition INTEGER PRIMARY KEY,
                        reason TEXT NOT NULL
                    );

                    -- Epochs the operator fenced off after a clone.
                    CREATE TABLE fencedEpoch (
                        origin TEXT NOT NULL,
                        epoch TEXT NOT NULL,
                        PRIMARY KEY (origin, epoch)
                    ) WITHOUT ROWID;

                    -- How far the projector has folded (an event position). One row.
                    CREATE TABLE projector (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        position INTEGER NOT NULL
                    );
                    INSERT INTO projector (id, position) VALUES (1, 0);
                    """)
            for operation in ["UPDATE", "DELETE"] { try db.execute(sql: EventLogSchema.refuse(operation, on: "feed")) }
        }
        migrator.registerMigration("hub.v2.cloneSuspicion") { db in
            // A suspected clone (DESIGN §5) — two machines writing as one origin, their
            // histories interleaved. While one is open, nothing more of that origin enters the
            // chain: every batch is held here as evidence until the operator keeps one epoch
            // (`lienthong hub fork resolve NODE --keep EPOCH`) and fences the others.
            try db.execute(
                sql: """
                    CREATE TABLE cloneSuspicion (
                        id INTEGER PRIMARY KEY,
                        origin TEXT NOT NULL,
                        epoch TEXT NOT NULL,
                        divergedAt INTEGER NOT NULL,
                        since INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        resolvedAt INTEGER,
                        resolvedBy TEXT,
                        keptEpoch TEXT,
                        fencedEpochs TEXT
                    );
                    CREATE UNIQUE INDEX cloneSuspicion_open ON cloneSuspicion (origin) WHERE resolvedAt IS NULL;

                    CREATE TABLE cloneEvidence (
                        suspicion INTEGER NOT NULL REFERENCES cloneSuspicion (id),
                        origin TEXT NOT NULL,
                        epoch TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        hash TEXT NOT NULL,
                        hlc TEXT NOT NULL,
                        dossier TEXT,
                        type TEXT NOT NULL,
                        canonical BLOB NOT NULL,
                        heldAt INTEGER NOT NULL,
                        PRIMARY KEY (suspicion, epoch, seq, hash)
                    ) WITHOUT ROWID;
                    """)
            for operation in ["UPDATE", "DELETE"] {
                try db.execute(
                    sql: """
                        CREATE TRIGGER cloneEvidence_refuse_\(operation.lowercased()) BEFORE \(operation) ON cloneEvidence
                        BEGIN
                            SELECT RAISE(ABORT, 'cloneEvidence is append-only: \(operation) refused');
                        END
                        """)
            }
        }
        migrator.registerMigration("hub.v3.recovery") { db in
            // Restored from a backup (`lienthong hub restore`), it takes its own lost events
            // back from the nodes before it writes new ones (DESIGN §5). `hubRecovery` records each
            // restore; `hubReturned` keeps every proven returned event beyond the head — evidence,
            // append-only; those continuing the chain are stored from it; `hubReturnReport` records which nodes have
            // returned all they hold. `feedBase`: after a restore a node's feed continues after the
            // position the node already holds, so no position is ever reused.
            try db.execute(
                sql: """
                    CREATE TABLE hubRecovery (
                        id INTEGER PRIMARY KEY,
                        startedAt INTEGER NOT NULL,
                        headAtStart INTEGER NOT NULL,
                        backup TEXT NOT NULL,
                        finishedAt INTEGER,
                        finishedBy TEXT,
                        reappended INTEGER
                    );
                    CREATE TABLE hubReturned (
                        recovery INTEGER NOT NULL REFERENCES hubRecovery (id),
                        seq INTEGER NOT NULL,
                        hash TEXT NOT NULL,
                        canonical BLOB NOT NULL,
                        node TEXT NOT NULL,
                        returnedAt INTEGER NOT NULL,
                        PRIMARY KEY (recovery, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE hubReturnReport (
                        recovery INTEGER NOT NULL REFERENCES hubRecovery (id),
                        node TEXT NOT NULL,
                        held INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        PRIMARY KEY (recovery, node)
                    ) WITHOUT ROWID;
                    CREATE TABLE feedBase (
                        node TEXT PRIMARY KEY,
                        position INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
            for operation in ["UPDATE", "DELETE"] {
                try db.execute(
                    sql: """
                        CREATE TRIGGER hubReturned_refuse_\(operation.lowercased()) BEFORE \(operation) ON hubReturned
                        BEGIN
                            SELECT RAISE(ABORT, 'hubReturned is append-only: \(operation) refused');
                        END
                        """)
            }
        }
        return migrator
    }
}
