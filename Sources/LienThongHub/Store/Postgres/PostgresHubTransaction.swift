import Foundation
import LienThongCore
import LienThongStore
import LienThongWire
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// ``HubTransaction`` on PostgreSQL: the reads and writes of one transaction of a
/// ``PostgresHubDatabase`` (READ COMMITTED). What SQLite's IMMEDIATE transaction serialises, locks
/// held until commit serialise here: an origin's advisory lock (``head(origin:)``, the hub's own
/// appends), the event log's row (storing events), a feed's head (appending to it).
public struct PostgresHubTransaction: HubTransaction {
    let session: PostgresSession
    /// What the transaction wrote that waiters care about (``PostgresHubStore/changes``).
    let touched = Touched()

    final class Touched {
        /// Events stored, or a feed appended to or moved on.
        var feeds = false
    }

    /// The hub's head for `origin`: its last seq, hash, hlc and the epoch it was written in.
    public func head(origin: String) throws -> (seq: Int, hash: String, hlc: HLC, epoch: String)? {
        // Every push reads the head first: the origin's lock, held until commit, serialises its pushes
        // across processes (a retry reaching another process waits, then finds its events stored).
        try PostgresHubDatabase.lockOrigin(origin, session)
        guard let row = try session.query("SELECT seq, hash, hlc, epoch FROM event WHERE origin = \(origin) ORDER BY seq DESC LIMIT 1").first
        else { return nil }
        let (seq, hash, hlc, epoch) = try row.decode((Int, String, String, String).self)
        return (seq, hash, HLC(hex: hlc) ?? .zero, epoch)
    }

    /// What the operator decided about `origin` after a clone, in one read (every push asks):
    /// its open clone suspicion, whether `epoch` is fenced, whether any epoch of it is.
    public func guards(origin: String, epoch: String) throws -> (suspicion: Int?, epochFenced: Bool, anyFenced: Bool) {
        guard
            let row = try session.query(
                """
                SELECT (SELECT id FROM cloneSuspicion WHERE origin = \(origin) AND resolvedAt IS NULL) AS suspicion,
                    EXISTS (SELECT 1 FROM fencedEpoch WHERE origin = \(origin) AND epoch = \(epoch)) AS epochFenced,
                    EXISTS (SELECT 1 FROM fencedEpoch WHERE origin = \(origin)) AS anyFenced
                """
            ).first
        else { return (nil, false, false) }
        let (suspicion, epochFenced, anyFenced) = try row.decode((Int?, Bool, Bool).self)
        return (suspicion, epochFenced, anyFenced)
    }

    /// The hash and hlc of `origin`'s event `seq`, if held.
    public func held(origin: String, seq: Int) throws -> (hash: String, hlc: HLC)? {
        guard let row = try session.query("SELECT hash, hlc FROM event WHERE origin = \(origin) AND seq = \(seq)").first else { return nil }
        let (hash, hlc) = try row.decode((String, String).self)
        return (hash, HLC(hex: hlc) ?? .zero)
    }

    /// `origin`'s public key (hex) for `epoch`.
    public func publicKey(origin: String, epoch: String) throws -> String? {
        try PostgresHubDatabase.fetchString("SELECT publicKey FROM originKey WHERE origin = \(origin) AND epoch = \(epoch)", session)
    }

    /// The public key of the epoch `origin`'s newest stored event was written in: the key a healed
    /// fork's new epoch must be signed with (the same machine starts a new epoch, DESIGN §5).
    public func currentKey(origin: String) throws -> String? {
        try PostgresHubDatabase.fetchString(
            """
            SELECT originKey.publicKey FROM originKey
            JOIN (SELECT epoch FROM event WHERE origin = \(origin) ORDER BY seq DESC LIMIT 1) AS head ON head.epoch = originKey.epoch
            WHERE originKey.origin = \(origin)
            """, session)
    }

    public func enrolledKey(origin: String) throws -> String? {
        let keys = try session.query("SELECT DISTINCT publicKey FROM originKey WHERE origin = \(origin) LIMIT 2").map { try $0.decode(String.self) }
        return keys.count == 1 ? keys[0] : nil
    }

    /// The hashes `origin`'s events name in `replaces` (a healed fork re-appended those events).
    /// Read only when a push diverges, so a scan of the origin's events is fine.
    public func replacedHashes(origin: String) throws -> Set<String> { Set(try PostgresHubDatabase.fetchReplaced(session, origin: origin)) }

    /// Records `origin`'s new epoch under `publicKey`.
    public func addEpoch(origin: String, epoch: String, publicKey: String) throws {
        try session.execute("INSERT INTO originKey (origin, epoch, publicKey) VALUES (\(origin), \(epoch), \(publicKey)) ON CONFLICT DO NOTHING")
    }

    /// Opens a clone suspicion of `origin`: `epoch`'s push diverged at seq `divergedAt` with a
    /// history interleaved with the one the hub holds.
    public func openCloneSuspicion(origin: String, epoch: String, divergedAt: Int, reason: String, now: Int64) throws -> Int {
        // The id comes back from the insert (SQLite reads lastInsertedRowID).
        guard
            let id = try PostgresHubDatabase.fetchInt(
                """
                INSERT INTO cloneSuspicion (origin, epoch, divergedAt, since, reason)
                VALUES (\(origin), \(epoch), \(divergedAt), \(now), \(reason)) RETURNING id
                """, session)
        else { throw StoreError.database(operation: "open a clone suspicion", reason: "the insert returned no id") }
        return id
    }

    /// Keeps `events` (chained and verified, but not stored) as evidence of suspicion `id`; an
    /// event held before is not held twice.
    public func holdAsEvidence(_ events: [Event], suspicion id: Int, now: Int64) throws {
        for event in events {
            try session.execute(
                """
                INSERT INTO cloneEvidence (suspicion, origin, epoch, seq, hash, hlc, dossier, type, canonical, heldAt)
                VALUES (\(id), \(event.origin), \(event.epoch), \(event.seq), \(event.hash), \(event.hlc.hex), \(event.dossier), \(event.type),
                    \(ByteBuffer(bytes: event.storedBytes)), \(now))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    public func isFenced(origin: String, epoch: String) throws -> Bool {
        try session.query("SELECT EXISTS (SELECT 1 FROM fencedEpoch WHERE origin = \(origin) AND epoch = \(epoch))").first
            .map { try $0.decode(Bool.self) } ?? false
    }

    public func openSuspicion(origin: String) throws -> CloneSuspicion? {
        // The operator's settlement reads, fences and closes: under the origin's lock, as its pushes
        // (SQLite's IMMEDIATE transaction serialises them; two settlements must not both close it).
        try PostgresHubDatabase.lockOrigin(origin, session)
        return try session.query(
            "SELECT \(unescaped: PostgresHubDatabase.suspicionColumns) FROM cloneSuspicion WHERE origin = \(origin) AND resolvedAt IS NULL"
        ).first.map { row in try PostgresHubDatabase.suspicion(row, session) }
    }

    public func fence(origin: String, epoch: String) throws {
        try session.execute("INSERT INTO fencedEpoch (origin, epoch) VALUES (\(origin), \(epoch)) ON CONFLICT DO NOTHING")
    }

    public func settleSuspicion(_ id: Int, keptEpoch: String, fenced: [String], by operatorName: String, now: Int64) throws {
        try session.execute(
            """
            UPDATE cloneSuspicion SET resolvedAt = \(now), resolvedBy = \(operatorName), keptEpoch = \(keptEpoch),
                fencedEpochs = \(fenced.joined(separator: ",")) WHERE id = \(id)
            """)
    }

    /// Stores verified events of another origin and the checkpoint that signs the last of them.
    /// `stored`, when given, holds each event's ``Event/storedBytes`` (already encoded by the check).
    /// - Returns: each event's position at this hub.
    public func store(_ events: [Event], stored: [[UInt8]]?, checkpoint: Checkpoint) throws -> [Int] {
        touched.feeds = true
        precondition(stored == nil || stored?.count == events.count, "one stored form per event")
        // Events commit in position order: the event log's lock, taken before the first insert, is held until commit.
        try PostgresHubDatabase.lockEventLog(session)
        var positions: [Int] = []
        positions.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            positions.append(try PostgresHubDatabase.insert(event, stored: stored?[index] ?? event.storedBytes, session))
        }
        try PostgresHubDatabase.insert(checkpoint, session)
        return positions
    }

    /// Appends `drafts` as the hub's own events (its decisions), like a node's local write.
    /// Refused while the hub, restored from a backup, takes its own events back (DESIGN §5): a new
    /// event would take a seq a node already holds. Only finishing the recovery writes then.
    /// - Returns: the events and their positions.
    public func appendOwn(
        _ drafts: [EventDraft], key: SigningKey, wallMilliseconds: () -> UInt64, validator: EventValidator, finishingRecovery: Bool
    ) throws -> [(position: Int, event: Event)] {
        touched.feeds = true
        if !finishingRecovery, let recovery = try openRecovery() { throw StoreError.refused(recovery.refusal) }
        // The positions come back from the inserts (SQLite reads each one again by origin and seq).
        return try PostgresHubDatabase.append(drafts, session, key: key, wallMilliseconds: wallMilliseconds, validator: validator).events
    }

    /// Moves the hub's own clock past `hlc` (events of its own taken back after a restore), so
    /// its next event sorts after them.
    public func advanceClock(past hlc: HLC) throws { try PostgresHubDatabase.advanceClock(session, past: hlc) }

    /// Marks a stored event quarantined: kept, but neither delivered nor folded.
    public func quarantine(position: Int, reason: String) throws {
        try session.execute("INSERT INTO quarantine (eventPosition, reason) VALUES (\(position), \(reason))")
    }

    /// The origins that may see and touch `dossier`.
    public func audience(of dossier: String) throws -> Set<String> {
        Set(try session.query("SELECT origin FROM dossierAudience WHERE dossier = \(dossier)").map { try $0.decode(String.self) })
    }

    public func addAudience(dossier: String, origin: String) throws {
        try session.execute("INSERT INTO dossierAudience (dossier, origin) VALUES (\(dossier), \(origin)) ON CONFLICT DO NOTHING")
    }

    /// Appends events, by their positions at the hub, to the end of `node`'s feed at `now`.
    public func appendToFeed(node: String, eventPositions: [Int], now: Int64) throws {
        touched.feeds = true
        guard !eventPositions.isEmpty else { return }
        // Positions are handed out under the feed's head row, locked until commit (a pull never sees n + 1 before n).
        try PostgresHubDatabase.appendToFeed(node: node, eventPositions: eventPositions, now: now, session)
    }

    /// The stored, not quarantined events of `dossier`, in arrival order.
    public func visibleEvents(ofDossier dossier: String) throws -> [(position: Int, event: Event)] {
        try PostgresHubDatabase.fetchVisible(session, dossier: dossier)
    }

    /// Refolds `dossier` from `events` and replaces its projection rows.
    public func refreshProjection(dossier: String, events: [Event]) throws -> DossierState {
        try PostgresHubDatabase.refreshProjection(session, code: dossier, events: events)
    }

    public func projectorPosition() throws -> Int {
        // FOR UPDATE: two processes' projector passes take turns (SQLite's IMMEDIATE transaction serialises them).
        try PostgresHubDatabase.fetchInt("SELECT position FROM projector WHERE id = 1 FOR UPDATE", session) ?? 0
    }

    public func stored(after position: Int, limit: Int) throws -> [(position: Int, dossier: String?)] {
        try session.query("SELECT position, dossier FROM event WHERE position > \(position) ORDER BY position LIMIT \(limit)").map { row in
            let (position, dossier) = try row.decode((Int, String?).self)
            return (position: position, dossier: dossier)
        }
    }

    public func setProjectorPosition(_ position: Int) throws {
        try session.execute("UPDATE projector SET position = \(position) WHERE id = 1")
    }

    /// This hub's publications of `kind`, newest first.
    public func publications(_ kind: Publication.Kind) throws -> [Publication] { try PostgresHubDatabase.fetchPublications(session, kind) }

    /// `workflow` with the newest calendar and catalogue this hub published.
    public func currentWorkflow(_ workflow: Workflow) throws -> Workflow { try PostgresHubDatabase.currentWorkflow(session, workflow) }

    /// Every node the hub knows.
    public func nodes() throws -> [String] {
        try session.query("SELECT node FROM hubNode ORDER BY node COLLATE \"C\"").map { try $0.decode(String.self) }
    }

    /// Marks `node` as heard from now, with what it said about itself; it is caught up when the hub
    /// holds its head.
    public func touchNode(_ node: String, now: Int64, contact: NodeContactRecord) throws {
        try PostgresHubDatabase.touchNode(session, node: node, now: now, contact: contact)
    }

    // MARK: Recovery after a restore (DESIGN §5)

    /// The open recovery, if the hub is taking its own events back.
    public func openRecovery() throws -> HubRecovery? {
        // Under the hub's own origin lock, which every writer of its chain takes first: a recovery
        // read here cannot be finished by another process before this commits (SQLite's IMMEDIATE
        // transaction gives the same), and the lock order stays origin, then event log.
        guard let hub = try PostgresHubDatabase.fetchIdentity(session)?.origin else { throw StoreError.missingIdentity }
        try PostgresHubDatabase.lockOrigin(hub, session)
        return try PostgresHubDatabase.fetchRecovery(session, openOnly: true)
    }

    /// Keeps every proven returned event beyond the head as evidence (those that continue the
    /// chain are then stored from here; the others wait for their predecessor). The first copy of
    /// a seq stays.
    public func holdReturned(_ events: [Event], recovery: Int, node: String, now: Int64) throws {
        for event in events {
            try session.execute(
                """
                INSERT INTO hubReturned (recovery, seq, hash, canonical, node, returnedAt)
                VALUES (\(recovery), \(event.seq), \(event.hash), \(ByteBuffer(bytes: event.storedBytes)), \(node), \(now))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// The events held aside in `recovery` after `afterSeq`, by seq.
    public func returned(recovery: Int, afterSeq: Int) throws -> [Event] {
        try session.query("SELECT canonical FROM hubReturned WHERE recovery = \(recovery) AND seq > \(afterSeq) ORDER BY seq")
            .map { try PostgresHubDatabase.decodeStored(try $0.decode(ByteBuffer.self)) }
    }

    /// Records that `node` has returned every event of the hub it holds (up to `held`).
    public func reportReturned(recovery: Int, node: String, held: Int, now: Int64) throws {
        try session.execute(
            """
            INSERT INTO hubReturnReport (recovery, node, held, at) VALUES (\(recovery), \(node), \(held), \(now))
            ON CONFLICT (recovery, node) DO UPDATE SET held = GREATEST(hubReturnReport.held, excluded.held), at = excluded.at
            """)
    }

    public func waitingNodes(recovery: Int) throws -> [String] { try PostgresHubDatabase.fetchWaitingNodes(session, recovery: recovery) }

    public func finishRecovery(_ id: Int, by: String, reappended: Int, now: Int64) throws {
        try session.execute("UPDATE hubRecovery SET finishedAt = \(now), finishedBy = \(by), reappended = \(reappended) WHERE id = \(id)")
    }

    /// After a restore, `node`'s feed continues after `position` (the node holds up to there), so
    /// no position it holds is used again.
    public func rebaseFeed(node: String, after position: Int) throws {
        touched.feeds = true
        try session.execute(
            """
            INSERT INTO feedBase (node, position) VALUES (\(node), \(position))
            ON CONFLICT (node) DO UPDATE SET position = GREATEST(feedBase.position, excluded.position)
            """)
        // Positions are handed out from the feed's head (``PostgresHubDatabase/appendToFeed``), not
        // from `feedBase`: the head moves on too, so the next entry follows `position`.
        try session.execute(
            """
            INSERT INTO feedHead (node, position)
            VALUES (\(node), GREATEST(COALESCE((SELECT MAX(position) FROM feed WHERE node = \(node)), 0), \(position)))
            ON CONFLICT (node) DO UPDATE SET position = GREATEST(feedHead.position, excluded.position)
            """)
    }
}

/// The statements the PostgreSQL store and its transactions share: `HubDatabase`'s and
/// `EventLogDatabase`'s static functions, ported. Where SQLite's order of text differs from the
/// server's collation, `COLLATE "C"` keeps SQLite's byte order (lists and refusals read the same).
extension PostgresHubDatabase {
    /// Quarantined events are stored, never folded or delivered.
    static var hiddenEventsCondition: String { " AND position NOT IN (SELECT eventPosition FROM quarantine)" }

    /// The columns of `cloneSuspicion`, in the order ``suspicion(_:_:)`` decodes them.
    static let suspicionColumns = "id, origin, epoch, divergedAt, since, reason, resolvedAt, resolvedBy, keptEpoch, fencedEpochs"

    /// The first column of the first row of `query` as an integer, or nil for no row.
    static func fetchInt(_ query: PostgresQuery, _ session: PostgresSession) throws -> Int? {
        try session.query(query).first.map { try $0.decode(Int?.self) } ?? nil
    }

    /// The first column of the first row of `query` as text, or nil for no row (or NULL).
    static func fetchString(_ query: PostgresQuery, _ session: PostgresSession) throws -> String? {
        try session.query(query).first.map { try $0.decode(String?.self) } ?? nil
    }

    /// An event as the log stores it (its canonical bytes); a row that does not decode is a
    /// damaged log, and says how to find out more.
    static func decodeStored(_ buffer: ByteBuffer) throws -> Event {
        do {
            return try Event(bytes: Array(buffer.readableBytesView))
        } catch {
            throw StoreError.malformedFile(path: "event log", reason: "\(error); run `lienthong node log verify`")
        }
    }

    // MARK: The log

    static func fetchIdentity(_ session: PostgresSession) throws -> LocalIdentity? {
        guard let row = try session.query("SELECT origin, epoch, agencyCode, officeName, createdAt FROM localIdentity WHERE id = 1").first
        else { return nil }
        let (origin, epoch, agencyCode, officeName, createdAt) = try row.decode((String, String, String, String, Int).self)
        return LocalIdentity(origin: origin, epoch: epoch, agencyCode: agencyCode, officeName: officeName, createdAt: createdAt)
    }

    static func fetchHead(_ session: PostgresSession, origin: String) throws -> (seq: Int, hash: String)? {
        guard let row = try session.query("SELECT seq, hash FROM event WHERE origin = \(origin) ORDER BY seq DESC LIMIT 1").first else { return nil }
        let (seq, hash) = try row.decode((Int, String).self)
        return (seq, hash)
    }

    /// Inserts `event` with its stored bytes; the caller holds the event log's lock.
    /// - Returns: its position, from the identity column (SQLite's rowid, read with lastInsertedRowID).
    static func insert(_ event: Event, stored: [UInt8], _ session: PostgresSession) throws -> Int {
        guard
            let position = try fetchInt(
                """
                INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical)
                VALUES (\(event.origin), \(event.seq), \(event.epoch), \(event.hlc.hex), \(event.dossier), \(event.type), \(event.hash),
                    \(ByteBuffer(bytes: stored)))
                RETURNING position
                """, session)
        else { throw StoreError.database(operation: "store an event", reason: "the insert returned no position") }
        return position
    }

    static func insert(_ checkpoint: Checkpoint, _ session: PostgresSession) throws {
        try session.execute(
            """
            INSERT INTO checkpoint (origin, seq, epoch, hash, signature)
            VALUES (\(checkpoint.origin), \(checkpoint.seq), \(checkpoint.epoch), \(checkpoint.hash), \(checkpoint.signature))
            """)
    }

    /// Appends `drafts` as the hub's own next events with their signed checkpoint, inside the
    /// caller's transaction (``EventLogDatabase``'s `append`): seq, hlc and prev are read and
    /// advanced under the hub's origin lock, so several processes append one chain.
    /// - Returns: the appended events with their positions, and the checkpoint that signs the last.
    static func append(
        _ drafts: [EventDraft], _ session: PostgresSession, key: SigningKey, wallMilliseconds: () -> UInt64, validator: EventValidator
    ) throws -> (events: [(position: Int, event: Event)], checkpoint: Checkpoint?) {
        guard !drafts.isEmpty else { return ([], nil) }
        guard let identity = try fetchIdentity(session) else { throw StoreError.missingIdentity }
        // The hub's own chain is one more origin: its appends take the origin's lock before reading the head.
        try lockOrigin(identity.origin, session)
        let storedKey = try fetchString("SELECT publicKey FROM originKey WHERE origin = \(identity.origin) AND epoch = \(identity.epoch)", session)
        guard storedKey == key.publicKey.hex else {
            throw StoreError.keyMismatch(expected: storedKey ?? "none", found: key.publicKey.hex)
        }
        var head = try fetchHead(session, origin: identity.origin) ?? (seq: 0, hash: Event.genesisHash)
        // FOR UPDATE: the clock is read and advanced by one transaction at a time.
        guard let lastText = try fetchString("SELECT lastHLC FROM clock WHERE id = 1 FOR UPDATE", session), var clock = HLC(hex: lastText)
        else { throw StoreError.missingIdentity }

        var events: [(position: Int, event: Event)] = []
        events.reserveCapacity(drafts.count)
        // Events commit in position order: the event log's lock, before the first insert.
        try lockEventLog(session)
        for draft in drafts {
            clock = HybridClock.tick(last: clock, wallMilliseconds: wallMilliseconds())
            let event = try HubDatabase.nextEvent(draft, identity: identity, after: head, hlc: clock, validator: validator)
            let position = try insert(event, stored: event.storedBytes, session)
            events.append((position: position, event: event))
            head = (event.seq, event.hash)
        }
        try session.execute("UPDATE clock SET lastHLC = \(clock.hex) WHERE id = 1")
        let checkpoint = try key.checkpoint(origin: identity.origin, epoch: identity.epoch, seq: head.seq, hash: head.hash)
        try insert(checkpoint, session)
        return (events, checkpoint)
    }

    /// Moves this replica's clock past `hlc`, so its next event sorts after it.
    static func advanceClock(_ session: PostgresSession, past hlc: HLC) throws {
        // FOR UPDATE: the clock is read and advanced by one transaction at a time.
        let last = try fetchString("SELECT lastHLC FROM clock WHERE id = 1 FOR UPDATE", session).flatMap(HLC.init(hex:)) ?? .zero
        if hlc > last { try session.execute("UPDATE clock SET lastHLC = \(hlc.hex) WHERE id = 1") }
    }

    /// The events of `dossier` a reader may fold (those not quarantined), in arrival order.
    static func fetchVisible(_ session: PostgresSession, dossier: String) throws -> [(position: Int, event: Event)] {
        try session.query("SELECT position, canonical FROM event WHERE dossier = \(dossier)\(unescaped: hiddenEventsCondition) ORDER BY position")
            .map { row in
                let (position, canonical) = try row.decode((Int, ByteBuffer).self)
                return (position: position, event: try decodeStored(canonical))
            }
    }

    /// At most `limit` events of `origin` from `fromSeq`, decoded, by seq.
    static func fetchEvents(_ session: PostgresSession, origin: String, fromSeq: Int, limit: Int = .max) throws -> [Event] {
        try session.query(
            "SELECT canonical FROM event WHERE origin = \(origin) AND seq >= \(fromSeq) ORDER BY seq LIMIT \(min(limit, Int(Int32.max)))"
        ).map { try decodeStored(try $0.decode(ByteBuffer.self)) }
    }

    /// The hashes named in `replaces` by the events of `origin`, in arrival order, once per naming event.
    static func fetchReplaced(_ session: PostgresSession, origin: String) throws -> [String] {
        // SQLite's instr(CAST(canonical AS TEXT), …): here a search in the bytes themselves (a cast of
        // BYTEA to TEXT would give its hex form).
        let needle = ByteBuffer(string: "\"replaces\":")
        return try session.query(
            "SELECT canonical FROM event WHERE origin = \(origin) AND position(\(needle) IN canonical) > 0 ORDER BY position"
        ).compactMap { try decodeStored(try $0.decode(ByteBuffer.self)).body["replaces"]?.stringValue }
    }

    // MARK: Projections

    /// Refolds dossier `code` from `events` and replaces its projection rows.
    @discardableResult
    static func refreshProjection(_ session: PostgresSession, code: String, events: [Event]) throws -> DossierState {
        // Two transactions refolding one dossier (the projector, a hub decision) take turns: each
        // deletes and inserts its rows, which would collide under READ COMMITTED alone.
        try session.execute("SELECT pg_advisory_xact_lock(hashtext('lienthong.dossier'), hashtext(\(code)))")
        let state = DossierFold.fold(code: code, events: events)
        for table in ["conflictView", "handoverView"] {
            try session.execute("DELETE FROM \(unescaped: table) WHERE dossier = \(code)")
        }
        try session.execute("DELETE FROM dossierView WHERE code = \(code)")
        // SQLite stores the flag as an integer; the column is BIGINT here too.
        let statusConflict = state.hasOpenStatusConflict ? 1 : 0
        try session.execute(
            """
            INSERT INTO dossierView (code, status, owner, receivingOffice, procedureCode, procedureName, fieldCode, applicantName,
                channel, receivedAt, appointment, finishedAt, openConflicts, statusConflict, needsUpgrade, waiting, stateHash, state)
            VALUES (\(state.code), \(state.status?.rawValue), \(state.owner), \(state.receivingOffice), \(state.procedureCode),
                \(state.procedureName), \(state.fieldCode), \(state.applicant.name), \(state.channel), \(state.receivedAt),
                \(state.appointment), \(state.finishedAt), \(state.openConflicts.count), \(statusConflict), \(state.needsUpgrade.count),
                \(state.waiting.count), \(state.stateHash), \(CanonicalJSON.string(state.json)))
            """)
        for conflict in state.conflicts {
            try session.execute(
                """
                INSERT INTO conflictView (dossier, id, type, origin, actor, at, owner, status, reasonVi, reasonEn, resolution, resolvedBy)
                VALUES (\(code), \(conflict.id), \(conflict.type), \(conflict.origin), \(conflict.actor), \(conflict.at), \(conflict.owner),
                    \(conflict.status), \(conflict.reasonVietnamese), \(conflict.reasonEnglish), \(conflict.resolution.rawValue), \(conflict.resolvedBy))
                """)
        }
        for (position, handover) in state.handovers.enumerated() {
            try session.execute(
                """
                INSERT INTO handoverView (dossier, position, event, office, fromActor, toActor, step, stepName, allottedHours, at, due,
                    completedAt, outcome)
                VALUES (\(code), \(position), \(handover.event), \(handover.office), \(handover.fromActor), \(handover.toActor),
                    \(handover.step), \(handover.stepName), \(handover.allottedHours), \(handover.at), \(handover.due),
                    \(handover.completedAt), \(handover.outcome?.rawValue))
                """)
        }
        return state
    }

    // MARK: Feeds and nodes

    /// The last position of `node`'s feed (0 when empty), or the position a restore continues it after.
    static func fetchFeedEnd(_ session: PostgresSession, node: String) throws -> Int {
        // SQLite's two-argument MAX is GREATEST here.
        try fetchInt(
            """
            SELECT GREATEST(COALESCE((SELECT MAX(position) FROM feed WHERE node = \(node)), 0),
                COALESCE((SELECT position FROM feedBase WHERE node = \(node)), 0))
            """, session) ?? 0
    }

    static func touchNode(_ session: PostgresSession, node: String, now: Int64, contact: NodeContactRecord) throws {
        // SQLite's numbered parameters (?1 …) are one bind per use here.
        try session.execute(
            """
            UPDATE hubNode SET lastSeenAt = \(now), reportedHead = COALESCE(\(contact.head), reportedHead),
                skewMs = COALESCE(\(contact.skewMs), skewMs),
                caughtUpAt = CASE WHEN (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = \(node)) >= COALESCE(\(contact.head), reportedHead, 0)
                    THEN \(now) ELSE caughtUpAt END
            WHERE node = \(node)
            """)
    }

    // MARK: Recovery

    static func fetchRecovery(_ session: PostgresSession, openOnly: Bool) throws -> HubRecovery? {
        guard let hub = try fetchIdentity(session)?.origin else { throw StoreError.missingIdentity }
        guard
            let row = try session.query(
                """
                SELECT id, startedAt, headAtStart, backup, finishedAt, finishedBy, reappended FROM hubRecovery
                \(unescaped: openOnly ? "WHERE finishedAt IS NULL " : "")ORDER BY id DESC LIMIT 1
                """
            ).first
        else { return nil }
        let (id, startedAt, headAtStart, backup, finishedAt, finishedBy, reappended) =
            try row.decode((Int, Int64, Int, String, Int64?, String?, Int?).self)
        let waitingFor = try finishedAt == nil ? fetchWaitingNodes(session, recovery: id) : []
        let heldAside =
            try fetchInt(
                "SELECT COUNT(*) FROM hubReturned WHERE recovery = \(id) AND seq > (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = \(hub))",
                session) ?? 0
        return HubRecovery(
            id: id, startedAt: startedAt, headAtStart: headAtStart, backup: backup, finishedAt: finishedAt, finishedBy: finishedBy,
            reappended: reappended, waitingFor: waitingFor, heldAside: heldAside)
    }

    /// Active nodes (enrolled, not revoked) that have not reported returning everything.
    static func fetchWaitingNodes(_ session: PostgresSession, recovery: Int) throws -> [String] {
        try session.query(
            """
            SELECT node FROM hubNode WHERE credentialHash IS NOT NULL AND revokedAt IS NULL
                AND node NOT IN (SELECT node FROM hubReturnReport WHERE recovery = \(recovery))
            ORDER BY node COLLATE "C"
            """
        ).map { try $0.decode(String.self) }
    }

    // MARK: Clones

    /// A suspicion from a row of ``suspicionColumns``, with its sides.
    static func suspicion(_ row: PostgresRow, _ session: PostgresSession) throws -> CloneSuspicion {
        let (id, origin, epoch, divergedAt, since, reason, resolvedAt, resolvedBy, keptEpoch, fenced) =
            try row.decode((Int, String, String, Int, Int64, String, Int64?, String?, String?, String?).self)
        let current = try fetchString("SELECT epoch FROM event WHERE origin = \(origin) ORDER BY seq DESC LIMIT 1", session)
        var sides: [String: CloneSuspicion.Side] = [:]
        for side in [current].compactMap({ $0 }) + [epoch] {
            sides[side] = CloneSuspicion.Side(epoch: side, stored: 0, held: 0)
        }
        for held in try session.query(
            """
            SELECT epoch, COUNT(*) AS held, MAX(seq) AS lastSeq, MAX(heldAt) AS lastAt FROM cloneEvidence
            WHERE suspicion = \(id) GROUP BY epoch
            """)
        {
            let (heldEpoch, count, lastSeq, lastAt) = try held.decode((String, Int, Int?, Int64?).self)
            sides[heldEpoch] = CloneSuspicion.Side(epoch: heldEpoch, stored: 0, held: count, lastHeldSeq: lastSeq, lastHeldAt: lastAt)
        }
        for stored in try session.query("SELECT epoch, COUNT(*) AS stored FROM event WHERE origin = \(origin) GROUP BY epoch") {
            let (storedEpoch, count) = try stored.decode((String, Int).self)
            sides[storedEpoch]?.stored = count
        }
        return CloneSuspicion(
            id: id, origin: origin, epoch: epoch, divergedAt: divergedAt, since: since, reason: reason,
            currentEpoch: current,
            sides: sides.values.sorted {
                ($0.epoch == current ? 0 : 1, $0.lastHeldAt ?? 0, $0.epoch) < ($1.epoch == current ? 0 : 1, $1.lastHeldAt ?? 0, $1.epoch)
            },
            resolvedAt: resolvedAt, resolvedBy: resolvedBy, keptEpoch: keptEpoch,
            fencedEpochs: fenced.map { $0.split(separator: ",").map(String.init) } ?? [])
    }

    // MARK: Publications

    /// A publication as an event of the publisher carries it.
    struct Published {
        var kind: Publication.Kind
        var version: String
        var content: JSONValue
        /// The event that carries it: `origin-seq`.
        var event: String
        var at: Int64

        /// The file as bytes a loader reads.
        var data: Data { Data(CanonicalJSON.encode(content)) }
    }

    /// Who may publish here: a hub itself (a node's `hubLink` is not in the hub's schema, here as in hub.sqlite).
    static func publisher(_ session: PostgresSession) throws -> String? {
        guard let identity = try fetchIdentity(session) else { return nil }
        if identity.origin.hasPrefix("hub-") { return identity.origin }
        return try fetchString("SELECT hub FROM hubLink WHERE id = 1", session)
    }

    /// The trusted publisher's publications of `kind`, newest first (by seq: one origin's own order).
    static func fetchPublished(_ session: PostgresSession, _ kind: Publication.Kind, limit: Int = .max) throws -> [Published] {
        guard let publisher = try publisher(session) else { return [] }
        let rows = try session.query(
            "SELECT canonical FROM event WHERE type = \(kind.eventType) AND dossier IS NULL AND origin = \(publisher) ORDER BY seq DESC LIMIT \(limit)")
        return try rows.compactMap { row -> Published? in
            let event = try decodeStored(try row.decode(ByteBuffer.self))
            guard let version = event.body["version"]?.stringValue, let content = event.body["content"], content.objectValue != nil else { return nil }
            return Published(kind: kind, version: version, content: content, event: DossierFold.id(event), at: DossierFold.at(event))
        }
    }

    static func fetchPublications(_ session: PostgresSession, _ kind: Publication.Kind, limit: Int = .max) throws -> [Publication] {
        try fetchPublished(session, kind, limit: limit).map { published in
            // Publication's memberwise initialiser is internal to LienThongStore: this needs a public
            // `init(kind:version:content:event:at:)` there.
            Publication(kind: published.kind, version: published.version, content: published.content, event: published.event, at: published.at)
        }
    }

    /// `workflow` with the newest published calendar and catalogue in place of its files', when the
    /// hub published any. A publication this version cannot read is left aside and the files stay in use.
    static func currentWorkflow(_ session: PostgresSession, _ base: Workflow) throws -> Workflow {
        var workflow = base
        guard let publisher = try publisher(session) else { return workflow }
        if let calendar = try newestParsed(
            session, .calendar, publisher: publisher,
            parse: { publication in
                (try? WorkingCalendar.load(publication.data, file: "published calendar \(publication.event)")).map(PostgresParsedPublication.calendar)
            }), case .calendar(let parsed) = calendar
        {
            workflow.calendar = parsed
        }
        if let catalogue = try newestParsed(
            session, .catalogue, publisher: publisher,
            parse: { publication in
                (try? ProcedureCatalogue.load(publication.data, file: "published catalogue \(publication.event)"))
                    .map(PostgresParsedPublication.catalogue)
            }), case .catalogue(let parsed) = catalogue
        {
            workflow.catalogue = parsed
        }
        return workflow
    }

    /// The newest publication of `kind` by `publisher`, parsed (from the cache when its hash was
    /// read before), or nil when there is none or this version cannot read it.
    static func newestParsed(
        _ session: PostgresSession, _ kind: Publication.Kind, publisher: String, parse: (Published) -> PostgresParsedPublication?
    ) throws -> PostgresParsedPublication? {
        guard
            let hash = try fetchString(
                "SELECT hash FROM event WHERE type = \(kind.eventType) AND dossier IS NULL AND origin = \(publisher) ORDER BY seq DESC LIMIT 1",
                session)
        else { return nil }
        if let cached = PostgresParsedPublication.cache.withLockedValue({ $0[hash] }) { return cached }
        guard let publication = try fetchPublished(session, kind, limit: 1).first, let parsed = parse(publication) else { return nil }
        PostgresParsedPublication.cache.withLockedValue { $0[hash] = parsed }
        return parsed
    }
}

/// A publication as the workflow uses it (LienThongStore's `ParsedPublication` is internal to it).
enum PostgresParsedPublication: Sendable {
    case calendar(WorkingCalendar)
    case catalogue(ProcedureCatalogue)

    /// Parsed publications by event hash: an event's hash names its content for good, so entries
    /// never go stale; one per publication ever read.
    static let cache = NIOLockedValueBox<[String: PostgresParsedPublication]>([:])
}
