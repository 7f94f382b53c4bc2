import GRDB

extension NodeDatabase {
    /// The node's schema: the shared log steps (``EventLogSchema``), then the node's own. Named
    /// steps, never edited once landed.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        EventLogSchema.register(in: &migrator)
        migrator.registerMigration("node.v1.sync") { db in
            try db.execute(
                sql: """
                    -- The hub it syncs with, pinned at enrolment. One row.
                    CREATE TABLE hubLink (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        url TEXT NOT NULL,
                        hub TEXT NOT NULL,
                        hubEpoch TEXT NOT NULL,
                        hubPublicKey TEXT NOT NULL,
                        hubAgency TEXT NOT NULL,
                        enrolledAt INTEGER NOT NULL
                    );

                    -- Sync cursors. `storedSeq`/`storedHash`: the hub's head for this node's origin
                    -- as last acknowledged; `pulled`: the feed position durably stored here;
                    -- `feedEnd`: the feed's end as last heard; `hubSkewMs`: the hub's clock against ours.
                    CREATE TABLE syncCursor (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        storedSeq INTEGER NOT NULL,
                        storedHash TEXT NOT NULL,
                        storedAt INTEGER,
                        pulled INTEGER NOT NULL,
                        pulledAt INTEGER,
                        feedEnd INTEGER NOT NULL DEFAULT 0,
                        hubSkewMs INTEGER,
                        hubSkewAt INTEGER
                    );
                    INSERT INTO syncCursor (id, storedSeq, storedHash, pulled)
                        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

                    -- The hub's signed pull pages and the entries they cover, so that
                    -- `node log verify` can check every foreign event.
                    CREATE TABLE feedPage (
                        upTo INTEGER PRIMARY KEY,
                        since INTEGER NOT NULL,
                        hub TEXT NOT NULL,
                        hubEpoch TEXT NOT NULL,
                        signature TEXT NOT NULL
                    );
                    CREATE TABLE feedEntry (
                        position INTEGER PRIMARY KEY,
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        hash TEXT NOT NULL
                    );

                    -- Every sync attempt (DESIGN §7).
                    CREATE TABLE syncAttempt (
                        id INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL,
                        startedAt INTEGER NOT NULL,
                        endedAt INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT
                    );

                    -- The local API's answers by Idempotency-Key, replayed on a retry.
                    CREATE TABLE apiReplay (
                        key TEXT PRIMARY KEY,
                        request TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
            for table in ["feedPage", "feedEntry"] {
                for operation in ["UPDATE", "DELETE"] { try db.execute(sql: EventLogSchema.refuse(operation, on: table)) }
            }
        }
        migrator.registerMigration("node.v2.forkHealing") { db in
            // Healing a fork (DESIGN §5): a node restored from a backup moves the branch the hub
            // does not hold into `forkedEvent` (append-only evidence), takes back its own events
            // from the hub and re-appends the branch after them. Moving the branch is the only
            // DELETE the log allows, and only while the healing transaction holds the `healing`
            // row (inserted and removed inside that one transaction).
            try db.execute(
                sql: """
                    CREATE TABLE healing (id INTEGER PRIMARY KEY CHECK (id = 1));

                    CREATE TABLE forkHeal (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        divergedAt INTEGER NOT NULL,
                        hubHead INTEGER NOT NULL,
                        tookBack INTEGER NOT NULL,
                        branchEvents INTEGER NOT NULL,
                        oldEpoch TEXT NOT NULL,
                        newEpoch TEXT NOT NULL,
                        recoded TEXT NOT NULL
                    );

                    CREATE TABLE forkedEvent (
                        heal INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        epoch TEXT NOT NULL,
                        hlc TEXT NOT NULL,
                        dossier TEXT,
                        type TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        canonical BLOB NOT NULL,
                        replacedBy INTEGER,
                        PRIMARY KEY (heal, origin, seq)
                    ) WITHOUT ROWID;

                    DROP TRIGGER event_refuse_delete;
                    CREATE TRIGGER event_refuse_delete BEFORE DELETE ON event WHEN NOT EXISTS (SELECT 1 FROM healing)
                    BEGIN
                        SELECT RAISE(ABORT, 'event is append-only: DELETE refused');
                    END;
                    DROP TRIGGER checkpoint_refuse_delete;
                    CREATE TRIGGER checkpoint_refuse_delete BEFORE DELETE ON checkpoint WHEN NOT EXISTS (SELECT 1 FROM healing)
                    BEGIN
                        SELECT RAISE(ABORT, 'checkpoint is append-only: DELETE refused');
                    END;
                    """)
            for table in ["forkHeal", "forkedEvent"] {
                for operation in ["UPDATE", "DELETE"] { try db.execute(sql: EventLogSchema.refuse(operation, on: table)) }
            }
        }
        return migrator
    }
}
