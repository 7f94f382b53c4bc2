import Foundation

/// The hub's schema on PostgreSQL (issue 26): the same tables as ``HubDatabase`` on SQLite, in named
/// steps never edited once landed, applied by ``PostgresHubDatabase/migrate()`` under an advisory
/// lock, so several `hub run` processes starting at once apply each step once.
///
/// What differs from SQLite, and why:
/// - Positions. `event.position` comes from an identity column, whose values are handed out at
///   insert and may commit out of order across processes. Every transaction that stores events
///   first locks the one `eventLog` row (``PostgresHubDatabase/lockEventLog(_:)``), so events commit
///   in position order and the projector, reading "after position p", never skips one that commits
///   later. A feed's positions are handed out under its own row in `feedHead` (locked until commit):
///   a pull never sees position n + 1 before n.
/// - Append-only tables refuse UPDATE, DELETE and TRUNCATE with a trigger.
/// - Booleans and counters are BIGINT or BOOLEAN; canonical bytes are BYTEA.
enum PostgresHubSchema {
    /// A named step and its SQL (one transaction).
    struct Step: Sendable {
        let id: String
        let sql: String

        /// The step's statements, one by one: postgres-nio sends each query as a prepared
        /// statement, which holds one command. A statement ends with ";" at the end of a line,
        /// outside a dollar-quoted body (a function's).
        var statements: [String] {
            var statements: [String] = []
            var current = ""
            var quoted = false
            for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
                current += line + "\n"
                quoted = line.components(separatedBy: "$$").count % 2 == 0 ? !quoted : quoted
                if !quoted, line.hasSuffix(";") {
                    statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                    current = ""
                }
            }
            let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !rest.isEmpty { statements.append(rest) }
            return statements
        }
    }

    /// Tables no statement may change or remove rows of.
    static let appendOnly = ["event", "checkpoint", "originKey", "feed", "cloneEvidence", "hubReturned"]

    static let steps: [Step] = [
        Step(
            id: "log.v1.events",
            sql: """
                CREATE FUNCTION lienthong_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
                END
                $$;

                -- The event log: every event this hub holds, its own and every origin's, in arrival order.
                CREATE TABLE event (
                    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    origin TEXT NOT NULL,
                    seq BIGINT NOT NULL CHECK (seq >= 1),
                    epoch TEXT NOT NULL,
                    hlc TEXT NOT NULL,
                    dossier TEXT,
                    type TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    canonical BYTEA NOT NULL,
                    UNIQUE (origin, seq)
                );
                CREATE INDEX event_dossier ON event (dossier) WHERE dossier IS NOT NULL;
                CREATE INDEX event_hubWide ON event (type, origin, seq) WHERE dossier IS NULL;

                -- One row, locked by every transaction that stores events: they commit in position order.
                CREATE TABLE eventLog (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    stored BIGINT NOT NULL
                );
                INSERT INTO eventLog (id, stored) VALUES (1, 0);

                CREATE TABLE checkpoint (
                    origin TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    epoch TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    PRIMARY KEY (origin, seq)
                );

                CREATE TABLE originKey (
                    origin TEXT NOT NULL,
                    epoch TEXT NOT NULL,
                    publicKey TEXT NOT NULL,
                    PRIMARY KEY (origin, epoch)
                );

                CREATE TABLE localIdentity (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    origin TEXT NOT NULL,
                    epoch TEXT NOT NULL,
                    agencyCode TEXT NOT NULL,
                    officeName TEXT NOT NULL,
                    createdAt BIGINT NOT NULL
                );

                CREATE TABLE clock (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    lastHLC TEXT NOT NULL
                );

                -- Each hub process's heartbeat, by process (host and pid), so `hub status` lists them all.
                CREATE TABLE heartbeat (
                    process TEXT PRIMARY KEY,
                    at BIGINT NOT NULL,
                    pid INTEGER NOT NULL,
                    intervalMs BIGINT NOT NULL DEFAULT 5000
                );
                """),
        Step(
            id: "log.v2.projections",
            sql: """
                CREATE TABLE dossierCounter (
                    agency TEXT NOT NULL,
                    day TEXT NOT NULL,
                    last BIGINT NOT NULL,
                    PRIMARY KEY (agency, day)
                );

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
                    receivedAt BIGINT,
                    appointment BIGINT,
                    finishedAt BIGINT,
                    openConflicts BIGINT NOT NULL,
                    statusConflict BIGINT NOT NULL,
                    needsUpgrade BIGINT NOT NULL,
                    waiting BIGINT NOT NULL,
                    stateHash TEXT NOT NULL,
                    state TEXT NOT NULL
                );
                CREATE INDEX dossierView_appointment ON dossierView (appointment);

                CREATE TABLE conflictView (
                    dossier TEXT NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    owner TEXT NOT NULL,
                    status TEXT NOT NULL,
                    reasonVi TEXT NOT NULL,
                    reasonEn TEXT NOT NULL,
                    resolution TEXT NOT NULL,
                    resolvedBy TEXT,
                    PRIMARY KEY (dossier, id)
                );

                CREATE TABLE handoverView (
                    dossier TEXT NOT NULL,
                    position BIGINT NOT NULL,
                    event TEXT NOT NULL,
                    office TEXT NOT NULL,
                    fromActor TEXT NOT NULL,
                    toActor TEXT NOT NULL,
                    step TEXT NOT NULL,
                    stepName TEXT NOT NULL,
                    allottedHours BIGINT NOT NULL,
                    at BIGINT NOT NULL,
                    due BIGINT,
                    completedAt BIGINT,
                    outcome TEXT,
                    PRIMARY KEY (dossier, position)
                );
                """),
        Step(
            id: "hub.v1.nodesAndFeeds",
            sql: """
                CREATE TABLE hubNode (
                    node TEXT PRIMARY KEY,
                    credentialHash TEXT UNIQUE,
                    enrolledAt BIGINT,
                    lastSeenAt BIGINT,
                    delivered BIGINT NOT NULL DEFAULT 0,
                    reportedHead BIGINT,
                    skewMs BIGINT,
                    caughtUpAt BIGINT,
                    revokedAt BIGINT
                );

                CREATE TABLE enrolmentToken (
                    tokenHash TEXT PRIMARY KEY,
                    node TEXT NOT NULL,
                    createdAt BIGINT NOT NULL,
                    expiresAt BIGINT NOT NULL,
                    usedAt BIGINT
                );

                -- One feed per node, positions 1, 2, 3 … per node, handed out under the node's
                -- feedHead row (locked until commit), so they commit in order.
                CREATE TABLE feedHead (
                    node TEXT PRIMARY KEY,
                    position BIGINT NOT NULL
                );
                CREATE TABLE feed (
                    node TEXT NOT NULL,
                    position BIGINT NOT NULL,
                    eventPosition BIGINT NOT NULL,
                    addedAt BIGINT,
                    PRIMARY KEY (node, position)
                );

                CREATE TABLE dossierAudience (
                    dossier TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    PRIMARY KEY (dossier, origin)
                );

                CREATE TABLE quarantine (
                    eventPosition BIGINT PRIMARY KEY,
                    reason TEXT NOT NULL
                );

                CREATE TABLE fencedEpoch (
                    origin TEXT NOT NULL,
                    epoch TEXT NOT NULL,
                    PRIMARY KEY (origin, epoch)
                );

                CREATE TABLE projector (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    position BIGINT NOT NULL
                );
                INSERT INTO projector (id, position) VALUES (1, 0);
                """),
        Step(
            id: "hub.v2.cloneSuspicion",
            sql: """
                CREATE TABLE cloneSuspicion (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    origin TEXT NOT NULL,
                    epoch TEXT NOT NULL,
                    divergedAt BIGINT NOT NULL,
                    since BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    resolvedAt BIGINT,
                    resolvedBy TEXT,
                    keptEpoch TEXT,
                    fencedEpochs TEXT
                );
                CREATE UNIQUE INDEX cloneSuspicion_open ON cloneSuspicion (origin) WHERE resolvedAt IS NULL;

                CREATE TABLE cloneEvidence (
                    suspicion BIGINT NOT NULL REFERENCES cloneSuspicion (id),
                    origin TEXT NOT NULL,
                    epoch TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL,
                    hlc TEXT NOT NULL,
                    dossier TEXT,
                    type TEXT NOT NULL,
                    canonical BYTEA NOT NULL,
                    heldAt BIGINT NOT NULL,
                    PRIMARY KEY (suspicion, epoch, seq, hash)
                );
                """),
        Step(
            id: "hub.v3.recovery",
            sql: """
                CREATE TABLE hubRecovery (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    startedAt BIGINT NOT NULL,
                    headAtStart BIGINT NOT NULL,
                    backup TEXT NOT NULL,
                    finishedAt BIGINT,
                    finishedBy TEXT,
                    reappended BIGINT
                );
                CREATE TABLE hubReturned (
                    recovery BIGINT NOT NULL REFERENCES hubRecovery (id),
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL,
                    canonical BYTEA NOT NULL,
                    node TEXT NOT NULL,
                    returnedAt BIGINT NOT NULL,
                    PRIMARY KEY (recovery, seq)
                );
                CREATE TABLE hubReturnReport (
                    recovery BIGINT NOT NULL REFERENCES hubRecovery (id),
                    node TEXT NOT NULL,
                    held BIGINT NOT NULL,
                    at BIGINT NOT NULL,
                    PRIMARY KEY (recovery, node)
                );
                CREATE TABLE feedBase (
                    node TEXT PRIMARY KEY,
                    position BIGINT NOT NULL
                );
                """),
        Step(
            id: "hub.v4.appendOnly",
            sql: appendOnly.map { table in
                """
                CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table)
                    FOR EACH ROW EXECUTE FUNCTION lienthong_refuse_change();
                CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table)
                    FOR EACH STATEMENT EXECUTE FUNCTION lienthong_refuse_change();
                """
            }.joined(separator: "\n")),
    ]
}
