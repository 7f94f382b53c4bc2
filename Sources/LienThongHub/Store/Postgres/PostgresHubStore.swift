import Foundation
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// ``HubStore`` on one PostgreSQL database (a ``PostgresHubDatabase``), which several `hub run`
/// processes may share (issue 26, Docs/postgres.md). Its operations port `SQLiteHubStore`'s
/// statement by statement; where they differ (positions, locks, upserts) a comment says why.
public struct PostgresHubStore: HubStore {
    /// The database, for what is particular to PostgreSQL and for tests.
    public let database: PostgresHubDatabase
    public let changes = FeedNotifier()
    /// The clock `run()` ticks on, and how often it looks for other processes' commits.
    let clock: any Clock<Duration>
    let otherProcessesEvery: Duration
    let logger: Logger

    /// - Parameters:
    ///   - otherProcessesEvery: how often `run()` looks for events another process stored: one
    ///     read of the newest position. Commits in this process wake waiters at once, without it.
    public init(
        _ database: PostgresHubDatabase, clock: any Clock<Duration> = ContinuousClock(), otherProcessesEvery: Duration = .milliseconds(50),
        logger: Logger = Logger(label: "lienthong.hub")
    ) {
        self.database = database
        self.clock = clock
        self.otherProcessesEvery = otherProcessesEvery
        self.logger = logger
    }

    /// Until the service group shuts down: bumps ``changes`` when another process has stored
    /// events in the database.
    public func run() async throws {
        // TODO(issue 26): LISTEN/NOTIFY — wake on `NOTIFY lienthong_feed`, sent by the committing
        // transaction, on one LISTEN connection per process, instead of polling the newest position.
        // A local, not the property: the generic call opens the existential only from a value.
        let clock = clock
        await watchOtherProcesses(every: otherProcessesEvery, clock: clock, logger: logger)
    }

    public func transaction<T>(_ operation: String, _ work: (any HubTransaction) throws -> T) throws(StoreError) -> T {
        var touched = false
        let result = try database.transaction(operation) { session in
            let transaction = PostgresHubTransaction(session: session)
            let result = try work(transaction)
            touched = transaction.touched.feeds
            return result
        }
        // After the commit: a waiter woken now reads what was committed.
        if touched { changes.bump() }
        return result
    }

    // MARK: Identity, enrolment and credentials

    public func identity() throws(StoreError) -> LocalIdentity? {
        try database.withConnection("read the node identity") { session in try PostgresHubDatabase.fetchIdentity(session) }
    }

    /// Records a one-time enrolment token for `node` (by its SHA-256) and makes the node known, in
    /// one transaction. A node enrolled on a machine already gets one only with `replace`, which
    /// revokes that machine's credential in the same transaction.
    /// - Returns: false, with nothing changed, when the node is enrolled and `replace` is false.
    public func addEnrolmentToken(node: String, tokenHash: String, now: Int64, expiresAt: Int64, replace: Bool) throws(StoreError) -> Bool {
        try database.transaction("record an enrolment token") { session in
            try PostgresHubDatabase.lockNode(node, session)
            if try PostgresHubDatabase.hasActiveCredential(session, node: node) {
                guard replace else { return false }
                _ = try PostgresHubDatabase.revoke(session, node: node, now: now)
            }
            try session.execute(
                "INSERT INTO enrolmentToken (tokenHash, node, createdAt, expiresAt) VALUES (\(tokenHash), \(node), \(now), \(expiresAt))")
            try session.execute("INSERT INTO hubNode (node) VALUES (\(node)) ON CONFLICT DO NOTHING")
            return true
        }
    }

    /// Redeems a one-time token: records the node's key for its epoch and its credential (by
    /// SHA-256), in one transaction. A token works once.
    public func redeemEnrolment(
        node: String, tokenHash: String, epoch: String, publicKey: String, credentialHash: String, now: Int64
    ) throws(StoreError) -> Result<Void, EnrolmentRefusal> {
        let outcome: Result<Void, EnrolmentRefusal> = try database.transaction("enrol a node") { session in
            try PostgresHubDatabase.lockNode(node, session)
            // FOR UPDATE: a token redeemed at two processes at once works once (SQLite's IMMEDIATE
            // transaction serialises the two; here the second waits and reads it used).
            guard
                let row = try session.query("SELECT node, expiresAt, usedAt FROM enrolmentToken WHERE tokenHash = \(tokenHash) FOR UPDATE").first
            else { return .failure(.unknownToken) }
            let (tokenNode, expiresAt, usedAt) = try row.decode((String, Int64, Int64?).self)
            guard tokenNode == node else { return .failure(.otherNode(tokenNode)) }
            guard usedAt == nil else { return .failure(.tokenUsed) }
            guard expiresAt >= now else { return .failure(.tokenExpired) }
            guard try !PostgresHubDatabase.hasActiveCredential(session, node: node) else { return .failure(.alreadyEnrolled) }
            let known = try PostgresHubDatabase.fetchString("SELECT publicKey FROM originKey WHERE origin = \(node) AND epoch = \(epoch)", session)
            if let known, known != publicKey { return .failure(.keyConflict) }
            if known == nil {
                try session.execute("INSERT INTO originKey (origin, epoch, publicKey) VALUES (\(node), \(epoch), \(publicKey))")
            }
            try session.execute("UPDATE enrolmentToken SET usedAt = \(now) WHERE tokenHash = \(tokenHash)")
            try session.execute(
                """
                INSERT INTO hubNode (node, credentialHash, enrolledAt, lastSeenAt) VALUES (\(node), \(credentialHash), \(now), \(now))
                ON CONFLICT (node) DO UPDATE SET credentialHash = excluded.credentialHash, enrolledAt = excluded.enrolledAt,
                    lastSeenAt = excluded.lastSeenAt, revokedAt = NULL
                """)
            try PostgresHubDatabase.deliverPublications(session, to: node, now: now)
            return .success(())
        }
        // A new node's feed starts with the hub's current publications.
        if case .success = outcome { changes.bump() }
        return outcome
    }

    /// The node whose credential hashes to `credentialHash`, and when the operator revoked it.
    public func node(credentialHash: String) throws(StoreError) -> (node: String, revokedAt: Int64?)? {
        try database.withConnection("check a credential") { session in
            try session.query("SELECT node, revokedAt FROM hubNode WHERE credentialHash = \(credentialHash)").first.map { row in
                let (node, revokedAt) = try row.decode((String, Int64?).self)
                return (node: node, revokedAt: revokedAt)
            }
        }
    }

    /// Revokes `node`'s credential (`hub revoke`, or `hub enroll --replace`): its next request is
    /// refused. Its unused enrolment tokens are spent too.
    /// - Returns: whether the node had an active credential.
    public func revokeNode(_ node: String, now: Int64) throws(StoreError) -> Bool {
        try database.transaction("revoke a node") { session in
            try PostgresHubDatabase.lockNode(node, session)
            return try PostgresHubDatabase.revoke(session, node: node, now: now)
        }
    }

    // MARK: Feeds and chains

    /// The last position of `node`'s feed (0 when empty): one index lookup, for long-polls.
    public func feedEnd(node: String) throws(StoreError) -> Int {
        try database.withConnection("read a feed's end") { session in try PostgresHubDatabase.fetchFeedEnd(session, node: node) }
    }

    /// Up to `limit` entries of `node`'s feed after `since`, with the events, and the feed's end.
    public func feed(node: String, since: Int, limit: Int) throws(StoreError) -> FeedSlice {
        try database.snapshot("read a feed") { session in
            let end = try PostgresHubDatabase.fetchFeedEnd(session, node: node)
            let rows = try session.query(
                """
                SELECT feed.position, event.canonical FROM feed
                JOIN event ON event.position = feed.eventPosition
                WHERE feed.node = \(node) AND feed.position > \(since) ORDER BY feed.position LIMIT \(limit)
                """)
            let entries: [(position: Int, event: Event)] = try rows.map { row in
                let (position, canonical) = try row.decode((Int, ByteBuffer).self)
                return (position: position, event: try PostgresHubDatabase.decodeStored(canonical))
            }
            return FeedSlice(entries: entries, end: end)
        }
    }

    /// A pull from beyond the end of `node`'s feed (this hub was restored from a backup): the feed
    /// continues after `since` from now on. Returns the feed's end now.
    public func rebaseFeed(node: String, after since: Int) throws(StoreError) -> Int {
        let end = try database.transaction("continue a feed after a restore") { session in
            try PostgresHubTransaction(session: session).rebaseFeed(node: node, after: since)
            return try PostgresHubDatabase.fetchFeedEnd(session, node: node)
        }
        changes.bump()
        return end
    }

    /// Records that `node` pulled from `since` (so everything up to it is delivered) at `now`.
    public func recordPull(node: String, since: Int, now: Int64, contact: NodeContactRecord) throws(StoreError) {
        try database.transaction("record a delivery") { session in
            // SQLite's two-argument MAX is GREATEST here.
            try session.execute("UPDATE hubNode SET delivered = GREATEST(delivered, \(since)) WHERE node = \(node)")
            try PostgresHubDatabase.touchNode(session, node: node, now: now, contact: contact)
        }
    }

    public func events(origin: String, fromSeq: Int, limit: Int) throws(StoreError) -> [Event] {
        try database.withConnection("read an origin's events") { session in
            try PostgresHubDatabase.fetchEvents(session, origin: origin, fromSeq: fromSeq, limit: limit)
        }
    }

    /// The head of `origin`'s chain as stored (a read: no lock, unlike the transaction's).
    public func head(origin: String) throws(StoreError) -> (seq: Int, hash: String)? {
        try database.withConnection("read the chain head") { session in try PostgresHubDatabase.fetchHead(session, origin: origin) }
    }

    public func checkpoints(origin: String, seqs: ClosedRange<Int>) throws(StoreError) -> [Checkpoint] {
        try database.withConnection("read checkpoints") { session in
            try session.query(
                """
                SELECT origin, epoch, seq, hash, signature FROM checkpoint
                WHERE origin = \(origin) AND seq BETWEEN \(seqs.lowerBound) AND \(seqs.upperBound) ORDER BY seq
                """
            ).map { row in
                let (origin, epoch, seq, hash, signature) = try row.decode((String, String, Int, String, String).self)
                return Checkpoint(origin: origin, epoch: epoch, seq: seq, hash: hash, signature: signature)
            }
        }
    }

    public func originKeys(origin: String) throws(StoreError) -> [String: String] {
        try database.withConnection("read an origin's keys") { session in
            Dictionary(
                try session.query("SELECT epoch, publicKey FROM originKey WHERE origin = \(origin)").map { row in
                    try row.decode((String, String).self)
                }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// What every pulled page tells the node, in one read: the hub's head for the node's own
    /// origin, the hub's own head, and when the open recovery started.
    public func pullHeads(node: String, hub: String) throws(StoreError) -> (stored: Int, hubHead: Int, recovery: Int?) {
        try database.withConnection("read the heads for a page") { session throws -> (stored: Int, hubHead: Int, recovery: Int?) in
            guard
                let row = try session.query(
                    """
                    SELECT (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = \(node)) AS stored,
                        (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = \(hub)) AS hubHead,
                        (SELECT startedAt FROM hubRecovery WHERE finishedAt IS NULL ORDER BY id DESC LIMIT 1) AS recovery
                    """
                ).first
            else { return (0, 0, nil) }
            let (stored, hubHead, recovery) = try row.decode((Int, Int, Int?).self)
            return (stored, hubHead, recovery)
        }
    }

    // MARK: The projector and what the operator reads

    public func projectorProgress() throws(StoreError) -> (projected: Int, stored: Int) {
        try database.snapshot("read the projector's progress") { session throws -> (projected: Int, stored: Int) in
            let projected = try PostgresHubDatabase.fetchInt("SELECT position FROM projector WHERE id = 1", session) ?? 0
            let stored = try PostgresHubDatabase.fetchInt("SELECT COALESCE(MAX(position), 0) FROM event", session) ?? 0
            return (projected, stored)
        }
    }

    /// The newest stored event's position (0 for none).
    public func lastEventPosition() throws(StoreError) -> Int {
        try database.withConnection("read the newest event position") { session in
            try PostgresHubDatabase.fetchInt("SELECT COALESCE(MAX(position), 0) FROM event", session) ?? 0
        }
    }

    /// The folded state of dossier `code`, computed from its not quarantined events, or nil if none is stored.
    public func dossier(_ code: String) throws(StoreError) -> DossierState? {
        let events = try database.withConnection("read a dossier's events") { session in
            try PostgresHubDatabase.fetchVisible(session, dossier: code).map(\.event)
        }
        return events.isEmpty ? nil : DossierFold.fold(code: code, events: events)
    }

    public func quarantined() throws(StoreError) -> [(event: Event, reason: String)] {
        try database.withConnection("read the quarantine") { session in
            try session.query(
                """
                SELECT event.canonical, quarantine.reason FROM quarantine JOIN event ON event.position = quarantine.eventPosition
                ORDER BY quarantine.eventPosition
                """
            ).map { row in
                let (canonical, reason) = try row.decode((ByteBuffer, String).self)
                return (event: try PostgresHubDatabase.decodeStored(canonical), reason: reason)
            }
        }
    }

    /// Records that this `hub run` process is alive, and how often it beats.
    public func beat(now: Int64, pid: Int32, intervalMs: Int64) throws(StoreError) {
        try database.transaction("record the heartbeat") { session in
            // One row per process (several share the database), keyed by host and pid; SQLite has one row.
            try session.execute(
                """
                INSERT INTO heartbeat (process, at, pid, intervalMs) VALUES (\(PostgresHubDatabase.process(pid: pid)), \(now), \(pid), \(intervalMs))
                ON CONFLICT (process) DO UPDATE SET at = excluded.at, pid = excluded.pid, intervalMs = excluded.intervalMs
                """)
        }
    }

    /// The facts of `lienthong hub status`, on one snapshot.
    public func statusFacts(now: Int64) throws(StoreError) -> HubStatusFacts {
        try database.snapshot("read the hub's status") { session in
            guard let identity = try PostgresHubDatabase.fetchIdentity(session) else { throw StoreError.missingIdentity }
            return HubStatusFacts(
                hub: identity.origin, office: identity.officeName, now: now, nodes: try PostgresHubDatabase.fetchHubNodeStatuses(session),
                heartbeat: try PostgresHubDatabase.fetchHeartbeat(session),
                storedEvents: try PostgresHubDatabase.fetchInt("SELECT COALESCE(MAX(position), 0) FROM event", session) ?? 0,
                projected: try PostgresHubDatabase.fetchInt("SELECT position FROM projector WHERE id = 1", session) ?? 0,
                quarantined: try PostgresHubDatabase.fetchInt("SELECT COUNT(*) FROM quarantine", session) ?? 0,
                openConflicts: try PostgresHubDatabase.fetchInt("SELECT COUNT(*) FROM conflictView WHERE resolution = 'open'", session) ?? 0,
                suspectedClones: try PostgresHubDatabase.fetchCloneSuspicions(session, openOnly: true),
                recovery: try PostgresHubDatabase.fetchRecovery(session, openOnly: true))
        }
    }

    /// Every node the hub serves, with what `hub nodes` shows.
    public func nodeStatuses() throws(StoreError) -> [HubNodeStatus] {
        try database.withConnection("read the hub's nodes") { session in try PostgresHubDatabase.fetchHubNodeStatuses(session) }
    }

    /// The events of dossier `code` that some node may see but has not pulled yet: for each, the
    /// node, the event and when it was added to the node's feed.
    public func undelivered(dossier code: String) throws(StoreError) -> [(node: String, origin: String, seq: Int, type: String, at: Int64)] {
        try database.withConnection("read undelivered entries") { session in
            // SQLite's COALESCE(feed.addedAt, event.hlc) mixes an integer and text: both are read here.
            try session.query(
                """
                SELECT feed.node, event.origin, event.seq, event.type, feed.addedAt, event.hlc
                FROM feed JOIN event ON event.position = feed.eventPosition JOIN hubNode ON hubNode.node = feed.node
                WHERE event.dossier = \(code) AND feed.position > hubNode.delivered ORDER BY feed.node COLLATE "C", feed.position
                """
            ).map { row in
                let (node, origin, seq, type, addedAt, hlc) = try row.decode((String, String, Int, String, Int64?, String?).self)
                return (node: node, origin: origin, seq: seq, type: type, at: PostgresHubDatabase.time(addedAt: addedAt, hlc: hlc) ?? 0)
            }
        }
    }

    // MARK: Clones and recovery (DESIGN §5)

    public func cloneSuspicions(openOnly: Bool) throws(StoreError) -> [CloneSuspicion] {
        try database.snapshot("read clone suspicions") { session in try PostgresHubDatabase.fetchCloneSuspicions(session, openOnly: openOnly) }
    }

    /// The newest recovery (open or finished), if the hub was ever restored.
    public func recovery() throws(StoreError) -> HubRecovery? {
        try database.snapshot("read the hub's recovery") { session in try PostgresHubDatabase.fetchRecovery(session, openOnly: false) }
    }
}

extension PostgresHubDatabase {
    /// Records this hub's identity and public key in a new database, and starts its clock.
    public func initialize(identity: LocalIdentity, publicKey: VerifyingKey) throws(StoreError) {
        try transaction("record the node identity") { session in
            // Two processes initialising at once: the second waits here, then finds the identity (a
            // lock on the table, which conflicts with itself; SQLite's IMMEDIATE transaction gives the same).
            try session.execute("LOCK TABLE localIdentity IN SHARE ROW EXCLUSIVE MODE")
            guard try Self.fetchInt("SELECT COUNT(*) FROM localIdentity", session) == 0 else {
                throw StoreError.database(operation: "record the node identity", reason: "the database has an identity already")
            }
            try session.execute(
                """
                INSERT INTO localIdentity (id, origin, epoch, agencyCode, officeName, createdAt)
                VALUES (1, \(identity.origin), \(identity.epoch), \(identity.agencyCode), \(identity.officeName), \(identity.createdAt))
                """)
            try session.execute("INSERT INTO originKey (origin, epoch, publicKey) VALUES (\(identity.origin), \(identity.epoch), \(publicKey.hex))")
            try session.execute("INSERT INTO clock (id, lastHLC) VALUES (1, \(HLC.zero.hex))")
        }
    }

    /// Runs `work` on one consistent snapshot (a read-only REPEATABLE READ transaction): what
    /// SQLite's `snapshot` gives a read of several statements.
    func snapshot<T>(_ operation: String, _ work: (PostgresSession) throws -> T) throws(StoreError) -> T {
        try transaction(operation, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", work)
    }

    // MARK: Enrolment and credentials

    /// Serialises `node`'s enrolment, re-enrolment and revocation across processes until the end of
    /// the transaction (SQLite's IMMEDIATE transaction serialises every writer).
    static func lockNode(_ node: String, _ session: PostgresSession) throws {
        try session.execute("SELECT pg_advisory_xact_lock(hashtext('lienthong.node'), hashtext(\(node)))")
    }

    /// Whether `node` holds a credential that is not revoked (a machine is enrolled as it).
    static func hasActiveCredential(_ session: PostgresSession, node: String) throws -> Bool {
        try session.query("SELECT EXISTS (SELECT 1 FROM hubNode WHERE node = \(node) AND credentialHash IS NOT NULL AND revokedAt IS NULL)")
            .first.map { try $0.decode(Bool.self) } ?? false
    }

    /// Revokes `node`'s credential and spends its unused tokens.
    /// - Returns: whether the node had an active credential.
    static func revoke(_ session: PostgresSession, node: String, now: Int64) throws -> Bool {
        // RETURNING says what SQLite's changesCount says: whether a row changed.
        let changed = try session.query(
            "UPDATE hubNode SET revokedAt = \(now) WHERE node = \(node) AND credentialHash IS NOT NULL AND revokedAt IS NULL RETURNING node")
        let revoked = !changed.isEmpty
        try session.execute("UPDATE enrolmentToken SET usedAt = \(now) WHERE node = \(node) AND usedAt IS NULL")
        return revoked
    }

    /// Puts this hub's newest published calendar and catalogue in `node`'s feed if they are not
    /// there yet: a commune enrolled after a publication gets it with its first pull.
    static func deliverPublications(_ session: PostgresSession, to node: String, now: Int64) throws {
        guard let hub = try fetchIdentity(session)?.origin else { return }
        var positions: [Int] = []
        for kind in Publication.Kind.allCases {
            guard
                let position = try fetchInt(
                    "SELECT position FROM event WHERE type = \(kind.eventType) AND dossier IS NULL AND origin = \(hub) ORDER BY seq DESC LIMIT 1",
                    session)
            else { continue }
            let delivered = try session.query("SELECT EXISTS (SELECT 1 FROM feed WHERE node = \(node) AND eventPosition = \(position))")
                .first.map { try $0.decode(Bool.self) }
            if delivered != true { positions.append(position) }
        }
        guard !positions.isEmpty else { return }
        try PostgresHubTransaction(session: session).appendToFeed(node: node, eventPositions: positions.sorted(), now: now)
    }

    // MARK: Status

    static func fetchHubNodeStatuses(_ session: PostgresSession) throws -> [HubNodeStatus] {
        // The oldest undelivered entry's time: SQLite's COALESCE(addedAt, hlc) mixes an integer and
        // text, so both come back from a lateral join and ``time(addedAt:hlc:)`` picks.
        let rows = try session.query(
            """
            SELECT hubNode.node, hubNode.enrolledAt, hubNode.lastSeenAt, hubNode.revokedAt, hubNode.reportedHead, hubNode.caughtUpAt,
                hubNode.skewMs, hubNode.delivered,
                (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = hubNode.node) AS storedHead,
                (SELECT COALESCE(MAX(position), 0) FROM feed WHERE feed.node = hubNode.node) AS feedEnd,
                oldest.addedAt, oldest.hlc,
                (SELECT COUNT(*) FROM conflictView JOIN dossierAudience ON dossierAudience.dossier = conflictView.dossier
                    WHERE dossierAudience.origin = hubNode.node AND conflictView.resolution = 'open') AS conflicts,
                (SELECT COUNT(*) FROM quarantine JOIN event ON event.position = quarantine.eventPosition
                    WHERE event.origin = hubNode.node) AS quarantined
            FROM hubNode
            LEFT JOIN LATERAL (
                SELECT feed.addedAt, (SELECT hlc FROM event WHERE event.position = feed.eventPosition) AS hlc FROM feed
                WHERE feed.node = hubNode.node AND feed.position > hubNode.delivered ORDER BY feed.position LIMIT 1
            ) AS oldest ON TRUE
            ORDER BY hubNode.node COLLATE "C"
            """)
        return try rows.map { row in
            let (
                node, enrolledAt, lastSeenAt, revokedAt, reportedHead, caughtUpAt, skewMs, delivered, storedHead, feedEnd, addedAt, hlc, conflicts,
                quarantined
            ) = try row.decode((String, Int64?, Int64?, Int64?, Int?, Int64?, Int64?, Int, Int, Int, Int64?, String?, Int, Int).self)
            return HubNodeStatus(
                node: node, enrolledAt: enrolledAt, lastSeenAt: lastSeenAt, revokedAt: revokedAt,
                delivered: delivered, feedEnd: feedEnd, storedHead: storedHead, reportedHead: reportedHead,
                caughtUpAt: caughtUpAt, oldestUndeliveredAt: time(addedAt: addedAt, hlc: hlc),
                openConflicts: conflicts, skewMs: skewMs, quarantined: quarantined)
        }
    }

    /// A feed entry's time: when it was added (`addedAt`), or for entries from before that column
    /// existed, its event's hlc.
    static func time(addedAt: Int64?, hlc: String?) -> Int64? {
        addedAt ?? hlc.flatMap(HLC.init(hex:)).map { Int64($0.physical) }
    }

    /// The clone suspicions, open ones first, newest first.
    static func fetchCloneSuspicions(_ session: PostgresSession, openOnly: Bool) throws -> [CloneSuspicion] {
        try session.query(
            """
            SELECT \(unescaped: suspicionColumns) FROM cloneSuspicion \(unescaped: openOnly ? "WHERE resolvedAt IS NULL" : "")
            ORDER BY resolvedAt IS NOT NULL, id DESC
            """
        ).map { row in try suspicion(row, session) }
    }

    /// The newest heartbeat of any `hub run` process (one row per process).
    static func fetchHeartbeat(_ session: PostgresSession) throws -> (at: Int64, pid: Int32, intervalMs: Int64)? {
        try session.query("SELECT heartbeat.at, heartbeat.pid, heartbeat.intervalMs FROM heartbeat ORDER BY heartbeat.at DESC LIMIT 1")
            .first.map { row in
                let (at, pid, intervalMs) = try row.decode((Int64, Int32, Int64).self)
                return (at: at, pid: pid, intervalMs: intervalMs)
            }
    }

    /// This host's name, read once (it may ask the resolver).
    static let hostName = ProcessInfo.processInfo.hostName

    /// The heartbeat's key for the process `pid` on this host.
    static func process(pid: Int32) -> String { "\(hostName):\(pid)" }
}
