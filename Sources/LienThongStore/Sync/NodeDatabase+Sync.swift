import Foundation
import GRDB
import LienThongCore

/// The hub a node syncs with, pinned at enrolment.
public struct HubLink: Sendable, Hashable {
    public var url: String
    public var hub: String
    public var hubEpoch: String
    public var hubPublicKey: String
    public var hubAgency: String
    public var enrolledAt: Int64

    public init(url: String, hub: String, hubEpoch: String, hubPublicKey: String, hubAgency: String, enrolledAt: Int64) {
        self.url = url
        self.hub = hub
        self.hubEpoch = hubEpoch
        self.hubPublicKey = hubPublicKey
        self.hubAgency = hubAgency
        self.enrolledAt = enrolledAt
    }
}

/// Where a node's sync stands (DESIGN §7's acknowledgements).
public struct SyncCursor: Sendable, Hashable {
    /// The hub's head for this node's origin, as last acknowledged: "stored at the hub".
    public var storedSeq: Int
    public var storedHash: String
    public var storedAt: Int64?
    /// The feed position durably stored here.
    public var pulled: Int
    public var pulledAt: Int64?
}

/// A signed pull page as the node stores it.
public struct PulledPage: Sendable {
    public var since: Int
    public var to: Int
    public var hub: String
    public var hubEpoch: String
    public var signature: String
    public var entries: [(position: Int, event: Event)]
    /// The feed's end at the hub when it answered.
    public var end: Int

    public init(since: Int, to: Int, end: Int, hub: String, hubEpoch: String, signature: String, entries: [(position: Int, event: Event)]) {
        self.since = since
        self.to = to
        self.end = end
        self.hub = hub
        self.hubEpoch = hubEpoch
        self.signature = signature
        self.entries = entries
    }
}

extension NodeDatabase {
    /// Pins the hub at enrolment: its URL, identity and public key (also kept as the hub origin's
    /// key, so `node log verify` can check its pages and events).
    public func linkHub(_ link: HubLink) throws(StoreError) {
        try immediateTransaction("record the hub") { db in
            try db.execute(
                sql: """
                    INSERT INTO hubLink (id, url, hub, hubEpoch, hubPublicKey, hubAgency, enrolledAt) VALUES (1, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET url = excluded.url, hub = excluded.hub, hubEpoch = excluded.hubEpoch,
                        hubPublicKey = excluded.hubPublicKey, hubAgency = excluded.hubAgency, enrolledAt = excluded.enrolledAt
                    """,
                arguments: [link.url, link.hub, link.hubEpoch, link.hubPublicKey, link.hubAgency, link.enrolledAt])
            let known = try String.fetchOne(
                db, sql: "SELECT publicKey FROM originKey WHERE origin = ? AND epoch = ?", arguments: [link.hub, link.hubEpoch])
            if let known, known != link.hubPublicKey {
                throw StoreError.malformedFile(
                    path: "hub key", reason: "\(link.hub) epoch \(link.hubEpoch) was pinned with another public key; ask the hub operator")
            }
            if known == nil {
                try db.execute(
                    sql: "INSERT INTO originKey (origin, epoch, publicKey) VALUES (?, ?, ?)", arguments: [link.hub, link.hubEpoch, link.hubPublicKey])
            }
        }
    }

    public func hubLink() throws(StoreError) -> HubLink? {
        try snapshot("read the hub link") { db in
            try Row.fetchOne(db, sql: "SELECT url, hub, hubEpoch, hubPublicKey, hubAgency, enrolledAt FROM hubLink WHERE id = 1").map { row in
                HubLink(
                    url: row["url"], hub: row["hub"], hubEpoch: row["hubEpoch"], hubPublicKey: row["hubPublicKey"], hubAgency: row["hubAgency"],
                    enrolledAt: row["enrolledAt"])
            }
        }
    }

    public func syncCursor() throws(StoreError) -> SyncCursor {
        try snapshot("read the sync cursor") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT storedSeq, storedHash, storedAt, pulled, pulledAt FROM syncCursor WHERE id = 1")
            else { return SyncCursor(storedSeq: 0, storedHash: Event.genesisHash, storedAt: nil, pulled: 0, pulledAt: nil) }
            return SyncCursor(
                storedSeq: row["storedSeq"], storedHash: row["storedHash"], storedAt: row["storedAt"], pulled: row["pulled"],
                pulledAt: row["pulledAt"])
        }
    }

    /// The node's own events after `afterSeq`, at most `limit` of one epoch, ending at a checkpoint:
    /// the last stored one within the limit, or — when one local transaction wrote more than the
    /// limit — a new checkpoint the node signs at the limit (it owns the key; any seq may carry one).
    public func pendingBatch(afterSeq: Int, limit: Int, key: SigningKey) throws(StoreError) -> (events: [Event], checkpoint: Checkpoint)? {
        try immediateTransaction("prepare a push") { db in
            guard let identity = try Self.fetchIdentity(db) else { throw StoreError.missingIdentity }
            let blobs = try Data.fetchAll(
                db, sql: "SELECT canonical FROM event WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [identity.origin, afterSeq, max(1, limit)])
            var events = try blobs.map { try Self.decodeStored($0) }
            guard let first = events.first else { return nil }
            events = Array(events.prefix { $0.epoch == first.epoch })
            guard let last = events.last else { return nil }
            let stored = try Row.fetchOne(
                db, sql: "SELECT origin, epoch, seq, hash, signature FROM checkpoint WHERE origin = ? AND seq BETWEEN ? AND ? ORDER BY seq DESC LIMIT 1",
                arguments: [identity.origin, first.seq, last.seq])
            if let stored, (stored["epoch"] as String) == first.epoch {
                let checkpoint = Checkpoint(
                    origin: stored["origin"], epoch: stored["epoch"], seq: stored["seq"], hash: stored["hash"], signature: stored["signature"])
                return (Array(events.prefix { $0.seq <= checkpoint.seq }), checkpoint)
            }
            guard last.epoch == identity.epoch else {
                throw StoreError.malformedFile(path: "event log", reason: "seq \(last.seq) of an earlier epoch has no checkpoint to push it with")
            }
            let checkpoint = try key.checkpoint(origin: identity.origin, epoch: last.epoch, seq: last.seq, hash: last.hash)
            try Self.insert(checkpoint, db)
            return (events, checkpoint)
        }
    }

    /// Records the hub's head for this node's origin after a push.
    public func recordStored(seq: Int, hash: String, now: Int64) throws(StoreError) {
        try immediateTransaction("record the hub's head") { db in
            try db.execute(
                sql: "UPDATE syncCursor SET storedSeq = ?, storedHash = ?, storedAt = ? WHERE id = 1", arguments: [seq, hash, now])
        }
    }

    /// Stores a pulled page in one transaction: the events this node does not hold yet, the page's
    /// signature and entries, the new feed position, the clock merged with the events' hlcs, and the
    /// projections of the dossiers it touched. A page that does not start at the stored position is
    /// ignored (a late answer to an old request).
    /// - Returns: the number of new events, or nil if the page was ignored.
    @discardableResult
    public func storePulled(_ page: PulledPage, wallMilliseconds: () -> UInt64, now: Int64) throws(StoreError) -> Int? {
        try immediateTransaction("store a pulled page") { db in
            let pulled = try Int.fetchOne(db, sql: "SELECT pulled FROM syncCursor WHERE id = 1") ?? 0
            guard page.since == pulled else { return nil }
            guard !page.entries.isEmpty else {
                // An empty page may still move the position: after a restore the hub's feed
                // continues past positions it no longer has, and the page covers them.
                try db.execute(
                    sql: "UPDATE syncCursor SET pulled = MAX(pulled, ?), pulledAt = ?, feedEnd = ? WHERE id = 1", arguments: [page.to, now, page.end])
                return 0
            }
            let insert = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            let entry = try db.cachedStatement(sql: "INSERT INTO feedEntry (position, origin, seq, hash) VALUES (?, ?, ?, ?)")
            var touched: [String] = []
            var seenDossiers: Set<String> = []
            var added = 0
            guard let lastText = try String.fetchOne(db, sql: "SELECT lastHLC FROM clock WHERE id = 1"), var clock = HLC(hex: lastText)
            else { throw StoreError.missingIdentity }
            for (position, event) in page.entries {
                if event.origin == page.hub {
                    for code in try Self.moveAsideStaleHubEvents(db, for: event, position: position) where seenDossiers.insert(code).inserted {
                        touched.append(code)
                    }
                }
                try insert.execute(arguments: [
                    event.origin, event.seq, event.epoch, event.hlc.hex, event.dossier, event.type, event.hash, Data(event.storedBytes),
                ])
                if db.changesCount > 0 {
                    added += 1
                    clock = HybridClock.receive(remote: event.hlc, last: clock, wallMilliseconds: wallMilliseconds()).local
                    if let code = event.dossier, seenDossiers.insert(code).inserted { touched.append(code) }
                }
                try entry.execute(arguments: [position, event.origin, event.seq, event.hash])
            }
            try db.execute(
                sql: "INSERT INTO feedPage (upTo, since, hub, hubEpoch, signature) VALUES (?, ?, ?, ?, ?)",
                arguments: [page.to, page.since, page.hub, page.hubEpoch, page.signature])
            try db.execute(sql: "UPDATE clock SET lastHLC = ? WHERE id = 1", arguments: [clock.hex])
            try db.execute(
                sql: "UPDATE syncCursor SET pulled = ?, pulledAt = ?, feedEnd = ? WHERE id = 1", arguments: [page.to, now, max(page.end, page.to)])
            for code in touched { try Self.refreshProjection(db, code: code) }
            return added
        }
    }

    /// A hub restored from a backup wrote `event` again (`replaces` names the hash of one it could
    /// not take back in order), or wrote a new event at a seq this node holds (its operator stopped
    /// waiting for this node's return, `hub restore --finish`): the hub's event this node held is
    /// moved to `forkedEvent` as evidence (the log's only DELETE, under the `healing` row, in the
    /// page's transaction), keyed by the negated feed position that replaced it.
    /// - Returns: the dossiers of the events moved aside (to be folded again).
    static func moveAsideStaleHubEvents(_ db: Database, for event: Event, position: Int) throws -> [String] {
        var stale = try Row.fetchAll(
            db, sql: "SELECT seq, hash FROM event WHERE origin = ? AND seq = ? AND hash != ?", arguments: [event.origin, event.seq, event.hash])
        if let replaced = event.body["replaces"]?.stringValue {
            stale += try Row.fetchAll(
                db, sql: "SELECT seq, hash FROM event WHERE origin = ? AND hash = ? AND seq != ?", arguments: [event.origin, replaced, event.seq])
        }
        guard !stale.isEmpty else { return [] }
        var dossiers: [String] = []
        try db.execute(sql: "INSERT INTO healing (id) VALUES (1)")
        for row in stale {
            let seq: Int = row["seq"]
            guard let bytes = try Data.fetchOne(db, sql: "SELECT canonical FROM event WHERE origin = ? AND seq = ?", arguments: [event.origin, seq])
            else { continue }
            let old = try decodeStored(bytes)
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO forkedEvent (heal, origin, seq, epoch, hlc, dossier, type, hash, canonical, replacedBy)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [-position, old.origin, old.seq, old.epoch, old.hlc.hex, old.dossier, old.type, old.hash, bytes, event.seq])
            try db.execute(sql: "DELETE FROM event WHERE origin = ? AND seq = ?", arguments: [old.origin, old.seq])
            if let code = old.dossier { dossiers.append(code) }
        }
        try db.execute(sql: "DELETE FROM healing")
        return dossiers
    }

    /// Records the end of a sync attempt (DESIGN §7).
    public func recordAttempt(kind: String, startedAt: Int64, endedAt: Int64, outcome: String, detail: String?) throws(StoreError) {
        try immediateTransaction("record a sync attempt") { db in
            try db.execute(
                sql: "INSERT INTO syncAttempt (kind, startedAt, endedAt, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                arguments: [kind, startedAt, endedAt, outcome, detail])
        }
    }

    /// Records the hub's clock minus ours, measured at a contact (the client decides when it is
    /// worth a write: `HubClient.skewToRecord`).
    public func recordHubSkew(milliseconds: Int64, now: Int64) throws(StoreError) {
        try immediateTransaction("record the hub's clock") { db in
            try db.execute(sql: "UPDATE syncCursor SET hubSkewMs = ?, hubSkewAt = ? WHERE id = 1", arguments: [milliseconds, now])
        }
    }

    /// The last `limit` sync attempts, newest first: (kind, startedAt, endedAt, outcome, detail).
    public func syncAttempts(limit: Int) throws(StoreError) -> [(kind: String, startedAt: Int64, endedAt: Int64, outcome: String, detail: String?)] {
        try snapshot("read sync attempts") { db in
            try Row.fetchAll(db, sql: "SELECT kind, startedAt, endedAt, outcome, detail FROM syncAttempt ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map { ($0["kind"], $0["startedAt"], $0["endedAt"], $0["outcome"], $0["detail"]) }
        }
    }
}
