import GRDB

extension NodeDatabase {
    /// The schema's history: named steps, never edited once landed.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1.eventLog") { db in
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

                    -- Who this node is. One row.
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
                    """)
            for table in ["event", "checkpoint", "originKey"] {
                for operation in ["UPDATE", "DELETE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER \(table)_refuse_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                            BEGIN
                                SELECT RAISE(ABORT, '\(table) is append-only: \(operation) refused');
                            END
                            """)
                }
            }
        }
        migrator.registerMigration("v2.dossiers") { db in
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
        migrator.registerMigration("v3.sync") { db in
            // One schema for every replica: a node uses the sync tables, a hub the hub tables, and a
            // relay (a hub that pushes upward, DESIGN §1) both.
            try db.execute(
                sql: """
                    -- Hub: the nodes it serves. Only the credential's SHA-256 is kept.
                    CREATE TABLE hubNode (
                        node TEXT PRIMARY KEY,
                        credentialHash TEXT,
                        enrolledAt INTEGER,
                        lastSeenAt INTEGER,
                        delivered INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX hubNode_credential ON hubNode(credentialHash);

                    -- Hub: one-time enrolment tokens (`hub enroll NODE`), by SHA-256.
                    CREATE TABLE enrolmentToken (
                        tokenHash TEXT PRIMARY KEY,
                        node TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        expiresAt INTEGER NOT NULL,
                        usedAt INTEGER
                    ) WITHOUT ROWID;

                    -- Hub: one feed per node (DESIGN §5), positions 1, 2, 3 … per node.
                    CREATE TABLE feed (
                        node TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        eventPosition INTEGER NOT NULL,
                        PRIMARY KEY (node, position)
                    ) WITHOUT ROWID;

                    -- Hub: the origins that may see and touch a dossier: its receiving office and
                    -- every office it was forwarded to.
                    CREATE TABLE dossierAudience (
                        dossier TEXT NOT NULL,
                        origin TEXT NOT NULL,
                        PRIMARY KEY (dossier, origin)
                    ) WITHOUT ROWID;

                    -- Hub: stored events not delivered and not folded, and why.
                    CREATE TABLE quarantine (
                        eventPosition INTEGER PRIMARY KEY,
                        reason TEXT NOT NULL
                    );

                    -- Hub: epochs the operator fenced off after a clone.
                    CREATE TABLE fencedEpoch (
                        origin TEXT NOT NULL,
                        epoch TEXT NOT NULL,
                        PRIMARY KEY (origin, epoch)
                    ) WITHOUT ROWID;

                    -- Hub: how far the projector has folded (an event position). One row.
                    CREATE TABLE projector (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        position INTEGER NOT NULL
                    );
                    INSERT INTO projector (id, position) VALUES (1, 0);

                    -- Node: the hub it syncs with, pinned at enrolment. One row.
                    CREATE TABLE hubLink (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        url TEXT NOT NULL,
                        hub TEXT NOT NULL,
                        hubEpoch TEXT NOT NULL,
                        hubPublicKey TEXT NOT NULL,
                        hubAgency TEXT NOT NULL,
                        enrolledAt INTEGER NOT NULL
                    );

                    -- Node: sync cursors. `storedSeq`/`storedHash`: the hub's head for this node's
                    -- origin as last acknowledged; `pulled`: the feed position durably stored here.
                    CREATE TABLE syncCursor (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        storedSeq INTEGER NOT NULL,
                        storedHash TEXT NOT NULL,
                        storedAt INTEGER,
                        pulled INTEGER NOT NULL,
                        pulledAt INTEGER
                    );
                    INSERT INTO syncCursor (id, storedSeq, storedHash, pulled)
                        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

                    -- Node: the hub's signed pull pages and the entries they cover, so that
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

                    -- Node: every sync attempt (DESIGN §7), and the daemon's heartbeat.
                    CREATE TABLE syncAttempt (
                        id INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL,
                        startedAt INTEGER NOT NULL,
                        endedAt INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT
                    );
                    CREATE TABLE heartbeat (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        at INTEGER NOT NULL,
                        pid INTEGER NOT NULL
                    );
                    """)
            for table in ["feed", "feedPage", "feedEntry"] {
                for operation in ["UPDATE", "DELETE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER \(table)_refuse_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                            BEGIN
                                SELECT RAISE(ABORT, '\(table) is append-only: \(operation) refused');
                            END
                            """)
                }
            }
        }
        migrator.registerMigration("v4.operations") { db in
            // What `status`, `hub nodes` and the local API need (issue 5).
            try db.execute(
                sql: """
                    -- Hub: what a node told about itself at its last contact (its head and clock, sent
                    -- in request headers), when the hub last held everything it reported, and when
                    -- the operator revoked it.
                    ALTER TABLE hubNode ADD COLUMN reportedHead INTEGER;
                    ALTER TABLE hubNode ADD COLUMN skewMs INTEGER;
                    ALTER TABLE hubNode ADD COLUMN caughtUpAt INTEGER;
                    ALTER TABLE hubNode ADD COLUMN revokedAt INTEGER;

                    -- Node: the feed's end as last heard, and the hub's clock against ours.
                    ALTER TABLE syncCursor ADD COLUMN feedEnd INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE syncCursor ADD COLUMN hubSkewMs INTEGER;
                    ALTER TABLE syncCursor ADD COLUMN hubSkewAt INTEGER;

                    -- Both: how often the daemon beats, so `status` knows when a beat is late.
                    ALTER TABLE heartbeat ADD COLUMN intervalMs INTEGER NOT NULL DEFAULT 5000;

                    -- Node: the local API's answers by Idempotency-Key, replayed on a retry.
                    CREATE TABLE apiReplay (
                        key TEXT PRIMARY KEY,
                        request TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        body BLOB NOT NULL,
                        at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v5.feedTime") { db in
            // Hub: when each feed entry was added, so an undelivered decision's age counts from
            // when the node could first have pulled it (not from when an office wrote the event).
            try db.execute(sql: "ALTER TABLE feed ADD COLUMN addedAt INTEGER")
        }
        migrator.registerMigration("v6.forkHealing") { db in
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
                for operation in ["UPDATE", "DELETE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER \(table)_refuse_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                            BEGIN
                                SELECT RAISE(ABORT, '\(table) is append-only: \(operation) refused');
                            END
                            """)
                }
            }
        }
        migrator.registerMigration("v7.cloneSuspicion") { db in
            // Hub: a suspected clone (DESIGN §5) — two machines writing as one origin, their
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
        migrator.registerMigration("v8.hubRecovery") { db in
            // Hub: restored from a backup (`lienthong hub restore`), it takes its own lost events
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
        // Hub-wide events (published calendars and catalogues) are read at every dossier write: a
        // small partial index finds the newest without scanning the log.
        migrator.registerMigration("v9.publications") { db in
            try db.execute(sql: "CREATE INDEX event_hubWide ON event(type, origin, seq) WHERE dossier IS NULL")
        }
        return migrator
    }
}
