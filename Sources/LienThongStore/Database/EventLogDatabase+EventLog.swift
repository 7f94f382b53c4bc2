import Foundation
import GRDB
import LienThongCore

extension EventLogDatabase {
    /// Records this node's identity and public key in a new database.
    public func initialize(identity: LocalIdentity, publicKey: VerifyingKey) throws(StoreError) {
        try immediateTransaction("record the node identity") { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM localIdentity") == 0 else {
                throw StoreError.database(operation: "record the node identity", reason: "the database has an identity already")
            }
            try db.execute(
                sql: "INSERT INTO localIdentity (id, origin, epoch, agencyCode, officeName, createdAt) VALUES (1, ?, ?, ?, ?, ?)",
                arguments: [identity.origin, identity.epoch, identity.agencyCode, identity.officeName, identity.createdAt])
            try db.execute(
                sql: "INSERT INTO originKey (origin, epoch, publicKey) VALUES (?, ?, ?)",
                arguments: [identity.origin, identity.epoch, publicKey.hex])
            try db.execute(sql: "INSERT INTO clock (id, lastHLC) VALUES (1, ?)", arguments: [HLC.zero.hex])
        }
    }

    /// This node's identity, or nil before `initialize`.
    public func identity() throws(StoreError) -> LocalIdentity? {
        try snapshot("read the node identity") { db in try Self.fetchIdentity(db) }
    }

    public static func fetchIdentity(_ db: Database) throws -> LocalIdentity? {
        guard let row = try Row.fetchOne(db, sql: "SELECT origin, epoch, agencyCode, officeName, createdAt FROM localIdentity WHERE id = 1")
        else { return nil }
        return LocalIdentity(
            origin: row["origin"], epoch: row["epoch"], agencyCode: row["agencyCode"], officeName: row["officeName"],
            createdAt: row["createdAt"])
    }

    /// Appends `drafts` as this node's next events, in one IMMEDIATE transaction with their signed
    /// checkpoint: seq, hlc and prev are read and advanced inside it, so several processes may
    /// append to one file at once. When this returns, the events are durably saved.
    ///
    /// - Parameters:
    ///   - key: the node's private key; it must match the stored public key of the current epoch.
    ///   - wallMilliseconds: the wall clock (Unix ms), read inside the transaction.
    /// - Returns: the appended events and the checkpoint that signs the last of them.
    /// - Throws: ``StoreError/invalidEvent(_:)`` naming the field if a draft is not a valid event;
    ///   then nothing is written.
    @discardableResult
    public func append(
        _ drafts: [EventDraft], key: SigningKey, wallMilliseconds: () -> UInt64,
        validator: EventValidator = EventValidator()
    ) throws(StoreError) -> (events: [Event], checkpoint: Checkpoint?) {
        guard !drafts.isEmpty else { return ([], nil) }
        return try immediateTransaction("append events") { db in
            try Self.append(drafts, db, key: key, wallMilliseconds: wallMilliseconds, validator: validator)
        }
    }

    /// Appends inside the caller's IMMEDIATE transaction (see ``append(_:key:wallMilliseconds:validator:)``).
    public static func append(
        _ drafts: [EventDraft], _ db: Database, key: SigningKey, wallMilliseconds: () -> UInt64, validator: EventValidator
    ) throws -> (events: [Event], checkpoint: Checkpoint?) {
        guard !drafts.isEmpty else { return ([], nil) }
        guard let identity = try Self.fetchIdentity(db) else { throw StoreError.missingIdentity }
        let storedKey = try String.fetchOne(
            db, sql: "SELECT publicKey FROM originKey WHERE origin = ? AND epoch = ?", arguments: [identity.origin, identity.epoch])
        guard storedKey == key.publicKey.hex else {
            throw StoreError.keyMismatch(expected: storedKey ?? "none", found: key.publicKey.hex)
        }
        var head = try Self.fetchHead(db, origin: identity.origin) ?? (seq: 0, hash: Event.genesisHash)
        guard let lastText = try String.fetchOne(db, sql: "SELECT lastHLC FROM clock WHERE id = 1"), var clock = HLC(hex: lastText)
        else { throw StoreError.missingIdentity }

        var events: [Event] = []
        events.reserveCapacity(drafts.count)
        let insert = try db.cachedStatement(
            sql: "INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for draft in drafts {
            clock = HybridClock.tick(last: clock, wallMilliseconds: wallMilliseconds())
            let event = try Self.nextEvent(draft, identity: identity, after: head, hlc: clock, validator: validator)
            try insert.execute(arguments: [
                event.origin, event.seq, event.epoch, event.hlc.hex, event.dossier, event.type, event.hash,
                Data(event.storedBytes),
            ])
            events.append(event)
            head = (event.seq, event.hash)
        }
        try db.execute(sql: "UPDATE clock SET lastHLC = ? WHERE id = 1", arguments: [clock.hex])
        let checkpoint = try key.checkpoint(origin: identity.origin, epoch: identity.epoch, seq: head.seq, hash: head.hash)
        try Self.insert(checkpoint, db)
        return (events, checkpoint)
    }

    /// `draft` as this replica's event after `head`, stamped `hlc`, once the validator has passed it:
    /// what every store's append writes (the node's, both hub stores').
    /// - Throws: ``StoreError/invalidEvent(_:)``, or ``StoreError/notWritable(reason:)`` for an
    ///   event this build cannot write.
    public static func nextEvent(
        _ draft: EventDraft, identity: LocalIdentity, after head: (seq: Int, hash: String), hlc: HLC, validator: EventValidator
    ) throws(StoreError) -> Event {
        let event = Event(
            origin: identity.origin, epoch: identity.epoch, seq: head.seq + 1, hlc: hlc, dossier: draft.dossier,
            seen: draft.seen, type: draft.type, actor: draft.actor, body: draft.body, prev: head.hash)
        let verdict: EventValidator.Verdict
        do {
            verdict = try validator.validate(event)
        } catch {
            throw StoreError.invalidEvent(error)
        }
        if case .needsUpgrade(let reason) = verdict { throw StoreError.notWritable(reason: reason) }
        return event
    }

    public static func fetchHead(_ db: Database, origin: String) throws -> (seq: Int, hash: String)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM event WHERE origin = ? ORDER BY seq DESC LIMIT 1", arguments: [origin])
        else { return nil }
        return (row["seq"], row["hash"])
    }

    public static func insert(_ checkpoint: Checkpoint, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO checkpoint (origin, seq, epoch, hash, signature) VALUES (?, ?, ?, ?, ?)",
            arguments: [checkpoint.origin, checkpoint.seq, checkpoint.epoch, checkpoint.hash, checkpoint.signature])
    }

    /// The head (highest seq and its hash) of `origin`'s chain in this database.
    public func head(origin: String) throws(StoreError) -> (seq: Int, hash: String)? {
        try snapshot("read the chain head") { db in try Self.fetchHead(db, origin: origin) }
    }

    /// The number of events stored, all origins.
    public func eventCount() throws(StoreError) -> Int {
        try snapshot("count events") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 }
    }

    /// The clock's last value (the highest HLC this node has issued).
    public func lastHLC() throws(StoreError) -> HLC {
        try snapshot("read the clock") { db in
            try String.fetchOne(db, sql: "SELECT lastHLC FROM clock WHERE id = 1").flatMap(HLC.init(hex:)) ?? .zero
        }
    }

    /// The last `limit` events by arrival position, oldest first.
    public func recentEvents(limit: Int) throws(StoreError) -> [Event] {
        try snapshot("read recent events") { db in
            let blobs = try Data.fetchAll(
                db, sql: "SELECT canonical FROM (SELECT position, canonical FROM event ORDER BY position DESC LIMIT ?) ORDER BY position",
                arguments: [limit])
            return try blobs.map { data in
                do {
                    return try Event(bytes: Array(data))
                } catch {
                    throw StoreError.malformedFile(path: "event log", reason: "\(error); run `lienthong node log verify`")
                }
            }
        }
    }

    /// Every stored checkpoint of `origin`, by seq.
    public func checkpoints(origin: String) throws(StoreError) -> [Checkpoint] {
        try snapshot("read checkpoints") { db in
            try Row.fetchAll(
                db, sql: "SELECT origin, epoch, seq, hash, signature FROM checkpoint WHERE origin = ? ORDER BY seq", arguments: [origin]
            ).map { row in
                Checkpoint(origin: row["origin"], epoch: row["epoch"], seq: row["seq"], hash: row["hash"], signature: row["signature"])
            }
        }
    }

    /// The events of `dossier` a reader may fold (at a hub, those not quarantined), in arrival order.
    public static func fetchVisible(_ db: Database, dossier: String) throws -> [(position: Int, event: Event)] {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT position, canonical FROM event WHERE dossier = ?\(hiddenEventsCondition) ORDER BY position"),
            arguments: [dossier])
        return try rows.map { row in (row["position"], try decodeStored(row["canonical"])) }
    }

    /// An event as the log stores it (its canonical bytes); a row that does not decode is a
    /// damaged log, and says how to find out more.
    public static func decodeStored(_ data: Data) throws -> Event {
        do {
            return try Event(bytes: Array(data))
        } catch {
            throw StoreError.malformedFile(path: "event log", reason: "\(error); run `lienthong node log verify`")
        }
    }

    /// At most `limit` events of `origin` from `fromSeq`, decoded, by seq.
    public static func fetchEvents(_ db: Database, origin: String, fromSeq: Int, limit: Int = .max) throws -> [Event] {
        try Data.fetchAll(
            db, sql: "SELECT canonical FROM event WHERE origin = ? AND seq >= ? ORDER BY seq LIMIT ?",
            arguments: [origin, fromSeq, min(limit, Int(Int32.max))]
        ).map { try decodeStored($0) }
    }

    /// `origin`'s stored events from `fromSeq`, at most `limit`.
    public func events(origin: String, fromSeq: Int, limit: Int = .max) throws(StoreError) -> [Event] {
        try snapshot("read an origin's events") { db in try Self.fetchEvents(db, origin: origin, fromSeq: fromSeq, limit: limit) }
    }
}
