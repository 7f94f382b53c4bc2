import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongWire

/// Why an enrolment was refused.
public enum EnrolmentRefusal: Error, Sendable, Hashable {
    case unknownToken
    case tokenUsed
    case tokenExpired
    case otherNode(String)
    case keyConflict
    /// The node holds an active credential: a token issued before it was enrolled (or
    /// revoked) must not replace that machine silently.
    case alreadyEnrolled
}

/// A page of a node's feed as stored: entries after `since`, and the feed's end.
public struct FeedSlice: Sendable {
    public var entries: [(position: Int, event: Event)]
    public var end: Int
}

extension HubDatabase {
    // MARK: Enrolment and credentials

    /// Records a one-time enrolment token for `node` (by its SHA-256) and makes the node known, in
    /// one transaction. A node enrolled on a machine already gets one only with `replace`, which
    /// revokes that machine's credential in the same transaction.
    /// - Returns: false, with nothing changed, when the node is enrolled and `replace` is false.
    public func addEnrolmentToken(node: String, tokenHash: String, now: Int64, expiresAt: Int64, replace: Bool = false) throws(StoreError) -> Bool {
        try immediateTransaction("record an enrolment token") { db in
            if try Self.hasActiveCredential(db, node: node) {
                guard replace else { return false }
                _ = try Self.revoke(db, node: node, now: now)
            }
            try db.execute(
                sql: "INSERT INTO enrolmentToken (tokenHash, node, createdAt, expiresAt) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, node, now, expiresAt])
            try db.execute(sql: "INSERT OR IGNORE INTO hubNode (node) VALUES (?)", arguments: [node])
            return true
        }
    }

    /// Redeems a one-time token: records the node's key for its epoch and its credential (by
    /// SHA-256), in one transaction. A token works once.
    public func redeemEnrolment(
        node: String, tokenHash: String, epoch: String, publicKey: String, credentialHash: String, now: Int64
    ) throws(StoreError) -> Result<Void, EnrolmentRefusal> {
        try immediateTransaction("enrol a node") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT node, expiresAt, usedAt FROM enrolmentToken WHERE tokenHash = ?", arguments: [tokenHash])
            else { return .failure(.unknownToken) }
            guard (row["node"] as String) == node else { return .failure(.otherNode(row["node"])) }
            guard (row["usedAt"] as Int64?) == nil else { return .failure(.tokenUsed) }
            guard (row["expiresAt"] as Int64) >= now else { return .failure(.tokenExpired) }
            guard try !Self.hasActiveCredential(db, node: node) else { return .failure(.alreadyEnrolled) }
            let known = try String.fetchOne(db, sql: "SELECT publicKey FROM originKey WHERE origin = ? AND epoch = ?", arguments: [node, epoch])
            if let known, known != publicKey { return .failure(.keyConflict) }
            if known == nil {
                try db.execute(sql: "INSERT INTO originKey (origin, epoch, publicKey) VALUES (?, ?, ?)", arguments: [node, epoch, publicKey])
            }
            try db.execute(sql: "UPDATE enrolmentToken SET usedAt = ? WHERE tokenHash = ?", arguments: [now, tokenHash])
            try db.execute(
                sql: """
                    INSERT INTO hubNode (node, credentialHash, enrolledAt, lastSeenAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (node) DO UPDATE SET credentialHash = excluded.credentialHash, enrolledAt = excluded.enrolledAt,
                        lastSeenAt = excluded.lastSeenAt, revokedAt = NULL
                    """,
                arguments: [node, credentialHash, now, now])
            try Self.deliverPublications(db, to: node, now: now)
            return .success(())
        }
    }

    /// The node whose credential hashes to `credentialHash`, and when the operator revoked it.
    public func node(credentialHash: String) throws(StoreError) -> (node: String, revokedAt: Int64?)? {
        try snapshot("check a credential") { db in
            try Row.fetchOne(db, sql: "SELECT node, revokedAt FROM hubNode WHERE credentialHash = ?", arguments: [credentialHash])
                .map { ($0["node"], $0["revokedAt"]) }
        }
    }

    /// Whether `node` holds a credential that is not revoked (a machine is enrolled as it).
    static func hasActiveCredential(_ db: Database, node: String) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM hubNode WHERE node = ? AND credentialHash IS NOT NULL AND revokedAt IS NULL)",
            arguments: [node]) ?? false
    }

    /// Revokes `node`'s credential (`hub revoke`, or `hub enroll --replace`): its next request is
    /// refused. The credential's hash stays, so the refusal can say why. Its unused enrolment
    /// tokens are spent too: whoever holds one must not enrol a machine behind the operator's back.
    /// - Returns: whether the node had an active credential.
    @discardableResult
    public func revokeNode(_ node: String, now: Int64) throws(StoreError) -> Bool {
        try immediateTransaction("revoke a node") { db in try Self.revoke(db, node: node, now: now) }
    }

    static func revoke(_ db: Database, node: String, now: Int64) throws -> Bool {
        try db.execute(
            sql: "UPDATE hubNode SET revokedAt = ? WHERE node = ? AND credentialHash IS NOT NULL AND revokedAt IS NULL", arguments: [now, node])
        let revoked = db.changesCount > 0
        try db.execute(sql: "UPDATE enrolmentToken SET usedAt = ? WHERE node = ? AND usedAt IS NULL", arguments: [now, node])
        return revoked
    }

    // MARK: Feeds

    /// The last position of `node`'s feed (0 when empty): one index lookup, for long-polls.
    public func feedEnd(node: String) throws(StoreError) -> Int {
        try snapshot("read a feed's end") { db in try Self.fetchFeedEnd(db, node: node) }
    }

    static func fetchFeedEnd(_ db: Database, node: String) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT MAX(COALESCE((SELECT MAX(position) FROM feed WHERE node = ?1), 0),
                    COALESCE((SELECT position FROM feedBase WHERE node = ?1), 0))
                """,
            arguments: [node]) ?? 0
    }

    /// Up to `limit` entries of `node`'s feed after `since`, with the events, and the feed's end.
    public func feed(node: String, since: Int, limit: Int) throws(StoreError) -> FeedSlice {
        try snapshot("read a feed") { db in
            let end = try Self.fetchFeedEnd(db, node: node)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT feed.position AS position, event.canonical AS canonical FROM feed
                    JOIN event ON event.position = feed.eventPosition
                    WHERE feed.node = ? AND feed.position > ? ORDER BY feed.position LIMIT ?
                    """,
                arguments: [node, since, limit])
            return FeedSlice(entries: try rows.map { row in (row["position"], try Self.decodeStored(row["canonical"])) }, end: end)
        }
    }

    /// A pull from beyond the end of `node`'s feed (this hub was restored from a backup): the feed
    /// continues after `since` from now on, so the positions the node holds are never reused.
    /// - Returns: the feed's end now.
    public func rebaseFeed(node: String, after since: Int) throws(StoreError) -> Int {
        try immediateTransaction("continue a feed after a restore") { db in
            try SQLiteHubTransaction(db: db).rebaseFeed(node: node, after: since)
            return try Self.fetchFeedEnd(db, node: node)
        }
    }

    /// Records that `node` pulled from `since` (so everything up to it is delivered) at `now`.
    public func recordPull(node: String, since: Int, now: Int64, contact: NodeContactRecord = NodeContactRecord()) throws(StoreError) {
        try immediateTransaction("record a delivery") { db in
            try db.execute(sql: "UPDATE hubNode SET delivered = MAX(delivered, ?) WHERE node = ?", arguments: [since, node])
            try Self.touchNode(db, node: node, now: now, contact: contact)
        }
    }

    /// The quarantined events and why.
    public func quarantined() throws(StoreError) -> [(event: Event, reason: String)] {
        try snapshot("read the quarantine") { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT event.canonical AS canonical, quarantine.reason AS reason FROM quarantine JOIN event ON event.position = quarantine.eventPosition ORDER BY quarantine.eventPosition"
            ).map { row in (try Self.decodeStored(row["canonical"]), row["reason"]) }
        }
    }

    /// The newest stored event's position (0 for none): the last row of the event table.
    public func lastEventPosition() throws(StoreError) -> Int {
        try snapshot("read the newest event position") { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), 0) FROM event") ?? 0 }
    }

    // MARK: Projector

    /// How far the projector has folded, and the last stored position.
    public func projectorProgress() throws(StoreError) -> (projected: Int, stored: Int) {
        try snapshot("read the projector's progress") { db in
            let projected = try Int.fetchOne(db, sql: "SELECT position FROM projector WHERE id = 1") ?? 0
            let stored = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), 0) FROM event") ?? 0
            return (projected, stored)
        }
    }
}

extension HubDatabase {
    /// Puts this hub's newest published calendar and catalogue in `node`'s feed if they are not
    /// there yet: a commune enrolled after a publication gets it with its first pull.
    static func deliverPublications(_ db: Database, to node: String, now: Int64) throws {
        guard let hub = try fetchIdentity(db)?.origin else { return }
        var positions: [Int] = []
        for kind in Publication.Kind.allCases {
            guard
                let position = try Int.fetchOne(
                    db, sql: "SELECT position FROM event WHERE type = ? AND dossier IS NULL AND origin = ? ORDER BY seq DESC LIMIT 1",
                    arguments: [kind.eventType, hub])
            else { continue }
            let delivered = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM feed WHERE node = ? AND eventPosition = ?)", arguments: [node, position])
            if delivered != true { positions.append(position) }
        }
        guard !positions.isEmpty else { return }
        try SQLiteHubTransaction(db: db).appendToFeed(node: node, eventPositions: positions.sorted(), now: now)
    }
}
