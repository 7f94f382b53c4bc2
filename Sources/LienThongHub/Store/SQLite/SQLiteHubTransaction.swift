import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongWire

/// ``HubTransaction`` on SQLite: the reads and writes of one IMMEDIATE write transaction of a
/// ``HubDatabase``.
public struct SQLiteHubTransaction: HubTransaction {
    let db: Database
    /// What the transaction wrote that waiters care about (``SQLiteHubStore/changes``).
    let touched = Touched()

    final class Touched {
        /// Events stored, or a feed appended to or moved on.
        var feeds = false
    }

    /// The hub's head for `origin`: its last seq, hash, hlc and the epoch it was written in.
    public func head(origin: String) throws -> (seq: Int, hash: String, hlc: HLC, epoch: String)? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT seq, hash, hlc, epoch FROM event WHERE origin = ? ORDER BY seq DESC LIMIT 1", arguments: [origin])
        else { return nil }
        return (row["seq"], row["hash"], HLC(hex: row["hlc"]) ?? .zero, row["epoch"])
    }

    /// What the operator decided about `origin` after a clone, in one read (every push asks):
    /// its open clone suspicion, whether `epoch` is fenced, whether any epoch of it is.
    public func guards(origin: String, epoch: String) throws -> (suspicion: Int?, epochFenced: Bool, anyFenced: Bool) {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT (SELECT id FROM cloneSuspicion WHERE origin = ?1 AND resolvedAt IS NULL) AS suspicion,
                    EXISTS (SELECT 1 FROM fencedEpoch WHERE origin = ?1 AND epoch = ?2) AS epochFenced,
                    EXISTS (SELECT 1 FROM fencedEpoch WHERE origin = ?1) AS anyFenced
                """,
            arguments: [origin, epoch])
        return (row?["suspicion"], row?["epochFenced"] ?? false, row?["anyFenced"] ?? false)
    }

    /// The hash and hlc of `origin`'s event `seq`, if held.
    public func held(origin: String, seq: Int) throws -> (hash: String, hlc: HLC)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT hash, hlc FROM event WHERE origin = ? AND seq = ?", arguments: [origin, seq])
        else { return nil }
        return (row["hash"], HLC(hex: row["hlc"]) ?? .zero)
    }

    /// `origin`'s public key (hex) for `epoch`.
    public func publicKey(origin: String, epoch: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT publicKey FROM originKey WHERE origin = ? AND epoch = ?", arguments: [origin, epoch])
    }

    /// The public key of the epoch `origin`'s newest stored event was written in: the key a healed
    /// fork's new epoch must be signed with (the same machine starts a new epoch, DESIGN §5).
    public func currentKey(origin: String) throws -> String? {
        try String.fetchOne(
            db,
            sql: """
                SELECT originKey.publicKey FROM originKey
                JOIN (SELECT epoch FROM event WHERE origin = ? ORDER BY seq DESC LIMIT 1) AS head ON head.epoch = originKey.epoch
                WHERE originKey.origin = ?
                """,
            arguments: [origin, origin])
    }

    public func enrolledKey(origin: String) throws -> String? {
        let keys = try String.fetchAll(db, sql: "SELECT DISTINCT publicKey FROM originKey WHERE origin = ? LIMIT 2", arguments: [origin])
        return keys.count == 1 ? keys[0] : nil
    }

    /// The hashes `origin`'s events name in `replaces` (a healed fork re-appended those events).
    /// Read only when a push diverges, so a scan of the origin's events is fine.
    public func replacedHashes(origin: String) throws -> Set<String> { Set(try HubDatabase.fetchReplaced(db, origin: origin)) }

    /// Records `origin`'s new epoch under `publicKey`.
    public func addEpoch(origin: String, epoch: String, publicKey: String) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO originKey (origin, epoch, publicKey) VALUES (?, ?, ?)", arguments: [origin, epoch, publicKey])
    }

    /// Opens a clone suspicion of `origin`: `epoch`'s push diverged at seq `divergedAt` with a
    /// history interleaved with the one the hub holds.
    public func openCloneSuspicion(origin: String, epoch: String, divergedAt: Int, reason: String, now: Int64) throws -> Int {
        try db.execute(
            sql: "INSERT INTO cloneSuspicion (origin, epoch, divergedAt, since, reason) VALUES (?, ?, ?, ?, ?)",
            arguments: [origin, epoch, divergedAt, now, reason])
        return Int(db.lastInsertedRowID)
    }

    /// Keeps `events` (chained and verified, but not stored) as evidence of suspicion `id`; an
    /// event held before is not held twice.
    public func holdAsEvidence(_ events: [Event], suspicion id: Int, now: Int64) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO cloneEvidence (suspicion, origin, epoch, seq, hash, hlc, dossier, type, canonical, heldAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for event in events {
            try insert.execute(arguments: [
                id, event.origin, event.epoch, event.seq, event.hash, event.hlc.hex, event.dossier, event.type, Data(event.storedBytes), now,
            ])
        }
    }

    public func isFenced(origin: String, epoch: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM fencedEpoch WHERE origin = ? AND epoch = ?)", arguments: [origin, epoch])
            ?? false
    }

    public func openSuspicion(origin: String) throws -> CloneSuspicion? {
        try Row.fetchOne(db, sql: "SELECT * FROM cloneSuspicion WHERE origin = ? AND resolvedAt IS NULL", arguments: [origin])
            .map { row in try HubDatabase.suspicion(row, db) }
    }

    public func fence(origin: String, epoch: String) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO fencedEpoch (origin, epoch) VALUES (?, ?)", arguments: [origin, epoch])
    }

    public func settleSuspicion(_ id: Int, keptEpoch: String, fenced: [String], by operatorName: String, now: Int64) throws {
        try db.execute(
            sql: "UPDATE cloneSuspicion SET resolvedAt = ?, resolvedBy = ?, keptEpoch = ?, fencedEpochs = ? WHERE id = ?",
            arguments: [now, operatorName, keptEpoch, fenced.joined(separator: ","), id])
    }

    /// Stores verified events of another origin and the checkpoint that signs the last of them.
    /// `stored`, when given, holds each event's ``Event/storedBytes`` (already encoded by the check).
    /// - Returns: each event's position at this hub.
    public func store(_ events: [Event], stored: [[UInt8]]?, checkpoint: Checkpoint) throws -> [Int] {
        touched.feeds = true
        precondition(stored == nil || stored?.count == events.count, "one stored form per event")
        let insert = try db.cachedStatement(
            sql: "INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        var positions: [Int] = []
        positions.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            try insert.execute(arguments: [
                event.origin, event.seq, event.epoch, event.hlc.hex, event.dossier, event.type, event.hash,
                Data(stored?[index] ?? event.storedBytes),
            ])
            positions.append(Int(db.lastInsertedRowID))
        }
        try HubDatabase.insert(checkpoint, db)
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
        let (events, _) = try HubDatabase.append(drafts, db, key: key, wallMilliseconds: wallMilliseconds, validator: validator)
        return try events.map { event in
            let position = try Int.fetchOne(
                db, sql: "SELECT position FROM event WHERE origin = ? AND seq = ?", arguments: [event.origin, event.seq])
            return (position ?? 0, event)
        }
    }

    /// Moves the hub's own clock past `hlc` (events of its own taken back after a restore), so
    /// its next event sorts after them.
    public func advanceClock(past hlc: HLC) throws { try HubDatabase.advanceClock(db, past: hlc) }

    /// Marks a stored event quarantined: kept, but neither delivered nor folded.
    public func quarantine(position: Int, reason: String) throws {
        try db.execute(sql: "INSERT INTO quarantine (eventPosition, reason) VALUES (?, ?)", arguments: [position, reason])
    }

    /// The origins that may see and touch `dossier`.
    public func audience(of dossier: String) throws -> Set<String> {
        Set(try String.fetchAll(db.cachedStatement(sql: "SELECT origin FROM dossierAudience WHERE dossier = ?"), arguments: [dossier]))
    }

    public func addAudience(dossier: String, origin: String) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO dossierAudience (dossier, origin) VALUES (?, ?)").execute(arguments: [dossier, origin])
    }

    /// Appends events, by their positions at the hub, to the end of `node`'s feed at `now`.
    public func appendToFeed(node: String, eventPositions: [Int], now: Int64) throws {
        touched.feeds = true
        guard !eventPositions.isEmpty else { return }
        var end = try HubDatabase.fetchFeedEnd(db, node: node)
        let insert = try db.cachedStatement(sql: "INSERT INTO feed (node, position, eventPosition, addedAt) VALUES (?, ?, ?, ?)")
        for position in eventPositions {
            end += 1
            try insert.execute(arguments: [node, end, position, now])
        }
    }

    /// The stored, not quarantined events of `dossier`, in arrival order.
    public func visibleEvents(ofDossier dossier: String) throws -> [(position: Int, event: Event)] {
        try HubDatabase.fetchVisible(db, dossier: dossier)
    }

    /// Refolds `dossier` from `events` and replaces its projection rows.
    public func refreshProjection(dossier: String, events: [Event]) throws -> DossierState {
        try HubDatabase.refreshProjection(db, code: dossier, events: events)
    }

    public func projectorPosition() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT position FROM projector WHERE id = 1") ?? 0
    }

    public func stored(after position: Int, limit: Int) throws -> [(position: Int, dossier: String?)] {
        try Row.fetchAll(db, sql: "SELECT position, dossier FROM event WHERE position > ? ORDER BY position LIMIT ?", arguments: [position, limit])
            .map { ($0["position"], $0["dossier"]) }
    }

    public func setProjectorPosition(_ position: Int) throws {
        try db.execute(sql: "UPDATE projector SET position = ? WHERE id = 1", arguments: [position])
    }

    /// This hub's publications of `kind`, newest first.
    public func publications(_ kind: Publication.Kind) throws -> [Publication] { try HubDatabase.fetchPublications(db, kind) }

    /// `workflow` with the newest calendar and catalogue this hub published.
    public func currentWorkflow(_ workflow: Workflow) throws -> Workflow { try HubDatabase.currentWorkflow(db, workflow) }

    /// Every node the hub knows.
    public func nodes() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT node FROM hubNode ORDER BY node")
    }

    /// Marks `node` as heard from now, with what it said about itself; it is caught up when the hub
    /// holds its head.
    public func touchNode(_ node: String, now: Int64, contact: NodeContactRecord) throws {
        try HubDatabase.touchNode(db, node: node, now: now, contact: contact)
    }
}

extension HubDatabase {
    static func touchNode(_ db: Database, node: String, now: Int64, contact: NodeContactRecord) throws {
        try db.execute(
            sql: """
                UPDATE hubNode SET lastSeenAt = ?1, reportedHead = COALESCE(?2, reportedHead), skewMs = COALESCE(?3, skewMs),
                    caughtUpAt = CASE WHEN (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = ?4) >= COALESCE(?2, reportedHead, 0)
                        THEN ?1 ELSE caughtUpAt END
                WHERE node = ?4
                """,
            arguments: [now, contact.head, contact.skewMs, node])
    }
}
