import Foundation
import GRDB
import LienThongCore

/// What healing a fork did (DESIGN §5), as recorded in `forkHeal` and reported by `status`.
public struct ForkHealReport: Sendable, Hashable {
    /// The first seq where this machine's log and the hub's differed.
    public var divergedAt: Int
    /// The hub's head for this origin when the node took its events back.
    public var hubHead: Int
    /// How many own events were taken back from the hub.
    public var tookBack: Int
    /// How many events of this machine's branch were moved to `forkedEvent` and re-appended.
    public var branchEvents: Int
    public var oldEpoch: String
    public var newEpoch: String
    /// Dossier codes re-issued because the hub's events had used them meanwhile.
    public var recoded: [Recode]
    public var at: Int64

    /// One re-issued dossier code.
    public struct Recode: Sendable, Hashable {
        public var from: String
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// One line for the sync log and `status`.
    public var summary: String {
        var text =
            "restored from a backup: the log differed from the hub's at seq \(divergedAt); took back \(tookBack) own events (hub head \(hubHead)), "
            + "re-appended \(branchEvents) events of this machine's branch in epoch \(newEpoch.prefix(8))"
        if !recoded.isEmpty {
            text += "; dossier codes re-issued (print new receipts): " + recoded.map { "\($0.from) → \($0.to)" }.joined(separator: ", ")
        }
        return text
    }
}

extension NodeDatabase {
    /// Heals this node's log against its own events as the hub holds them from `fromSeq` up to the
    /// hub's head (`hubEvents`), in one IMMEDIATE transaction (DESIGN §5):
    ///
    /// 1. Events this node holds from `fromSeq` that equal the hub's are kept. At the first seq where
    ///    they differ, this machine's branch (its events from there on) moves to `forkedEvent`, the
    ///    only DELETE the log allows, and its checkpoints go with it.
    /// 2. The hub's events are appended (chain, hashes and keys checked), with their checkpoints.
    /// 3. If there was a branch, the node starts epoch `newEpoch` (same key) and re-appends the
    ///    branch after the hub's events: new seq, new hlc, `replaces: <old hash>` in the body, the
    ///    business times kept. A `dossier.received` whose code the hub's events use meanwhile gets
    ///    a new code, followed by `dossier.recoded`, which opens a conflict asking the clerk to
    ///    print a new receipt; the day's counter resumes above every code seen.
    /// 4. The sync cursor records the hub's head; the touched dossiers are refolded; a `forkHeal`
    ///    row reports what happened.
    ///
    /// With no branch (a backup restored and nothing written since), it only takes back the
    /// missing events.
    /// - Returns: the report, or nil when nothing differed and nothing was missing.
    @discardableResult
    public func healFork(
        hubEvents: [Event], hubHead: (seq: Int, hash: String), fromSeq: Int, checkpoints: [Checkpoint], keys: [String: String], newEpoch: String,
        key: SigningKey, wallMilliseconds: () -> UInt64, now: Int64
    ) throws(StoreError) -> ForkHealReport? {
        try immediateTransaction("heal a fork") { db -> ForkHealReport? in
            guard let identity = try Self.fetchIdentity(db) else { throw StoreError.missingIdentity }
            let origin = identity.origin
            func refuse(_ reason: String) -> StoreError {
                StoreError.malformedFile(path: "hub answer", reason: "\(reason); nothing was changed")
            }
            let hub = hubEvents.filter { $0.seq >= fromSeq }.sorted { $0.seq < $1.seq }
            guard hub.allSatisfy({ $0.origin == origin && $0.hashIsValid }) else {
                throw refuse("the hub's events are not all this node's, or a hash is wrong")
            }
            for (index, event) in hub.enumerated() where event.seq != fromSeq + index {
                throw refuse("the hub's events skip from seq \(fromSeq + index - 1) to \(event.seq)")
            }
            let local = try Self.fetchEvents(db, origin: origin, fromSeq: fromSeq)

            // 1. Where the logs part.
            var diverged: Int?
            for event in local {
                guard let held = hub.first(where: { $0.seq == event.seq }) else { break }
                if held.hash != event.hash {
                    diverged = event.seq
                    break
                }
            }
            let forkedBranch = diverged.map { seq in local.filter { $0.seq >= seq } } ?? []
            var branch = forkedBranch
            let keptHead = diverged.map { $0 - 1 } ?? (local.last?.seq ?? (fromSeq - 1))
            let missing = hub.filter { $0.seq > keptHead }
            guard !branch.isEmpty || !missing.isEmpty else { return nil }
            guard let lastHub = hub.last, lastHub.seq == hubHead.seq, lastHub.hash == hubHead.hash else {
                throw refuse("the hub's events do not reach its head \(hubHead.seq)")
            }
            let keptHash =
                keptHead == 0
                ? Event.genesisHash
                : (try String.fetchOne(db, sql: "SELECT hash FROM event WHERE origin = ? AND seq = ?", arguments: [origin, keptHead]) ?? "")
            guard let first = missing.first, first.prev == keptHash else {
                throw refuse("the hub's events do not continue this node's chain at seq \(keptHead)")
            }
            for (previous, event) in zip(missing, missing.dropFirst()) where event.prev != previous.hash {
                throw refuse("the hub's seq \(event.seq) does not chain to seq \(previous.seq)")
            }

            // Keys of every epoch the hub's events carry.
            if let epoch = try Self.pinKeys(db, origin: origin, keys: keys) { throw refuse("the hub's key for epoch \(epoch) differs from this node's") }

            // 2. Move the branch out, take the hub's events in.
            var report = ForkHealReport(
                divergedAt: diverged ?? (keptHead + 1), hubHead: hubHead.seq, tookBack: missing.count, branchEvents: branch.count,
                oldEpoch: identity.epoch, newEpoch: branch.isEmpty ? identity.epoch : newEpoch, recoded: [], at: now)
            if let diverged {
                try db.execute(sql: "INSERT INTO healing (id) VALUES (1)")
                try db.execute(sql: "DELETE FROM event WHERE origin = ? AND seq >= ?", arguments: [origin, diverged])
                try db.execute(sql: "DELETE FROM checkpoint WHERE origin = ? AND seq >= ?", arguments: [origin, diverged])
                try db.execute(sql: "DELETE FROM healing")
            }
            var touched: [String] = []
            var seenCodes: Set<String> = []
            func touch(_ code: String?) {
                if let code, seenCodes.insert(code).inserted { touched.append(code) }
            }
            let proofs = checkpoints.filter { $0.origin == origin && $0.seq > keptHead && $0.seq <= hubHead.seq }
            for code in try Self.insertTakenBack(db, events: missing, checkpoints: proofs) { touch(code) }

            // 3. Re-append the branch in a new epoch.
            if !branch.isEmpty {
                try db.execute(sql: "UPDATE localIdentity SET epoch = ? WHERE id = 1", arguments: [newEpoch])
                try db.execute(
                    sql: "INSERT OR IGNORE INTO originKey (origin, epoch, publicKey) VALUES (?, ?, ?)", arguments: [origin, newEpoch, key.publicKey.hex])
                // Branch events an earlier heal re-appended already (a backup older than that heal
                // was restored): not appended again; what named them now names their replacement.
                var replacements: [String: Event] = [:]
                for event in hub {
                    if let old = event.body["replaces"]?.stringValue { replacements[old] = event }
                }
                var codes: [String: String] = [:]
                var newSeq: [Int: Int] = [:]
                for event in branch {
                    guard let replacement = replacements[event.hash] else { continue }
                    newSeq[event.seq] = replacement.seq
                    if let old = event.dossier, let new = replacement.dossier, old != new { codes[old] = new }
                }
                branch = branch.filter { replacements[$0.hash] == nil }
                // Codes the branch received: a code the hub's events use now is re-issued, never
                // onto another code the branch is about to re-append.
                let branchCodes = Set(branch.filter { $0.type == "dossier.received" }.compactMap(\.dossier))
                for event in branch where event.type == "dossier.received" {
                    guard let code = event.dossier else { continue }
                    let taken = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE dossier = ?)", arguments: [code]) ?? false
                    guard taken, let parts = DossierCode.parse(code) else { continue }
                    let receivedAt = event.body["receivedAt"]?.integerValue.map(Int64.init) ?? Int64(event.hlc.physical)
                    let fresh = try Self.allocateCode(db, agency: parts.agency, date: LocalDate(vietnamTimeOf: receivedAt), avoiding: branchCodes)
                    codes[code] = fresh
                    report.recoded.append(ForkHealReport.Recode(from: code, to: fresh))
                }
                // Where each branch event lands: a re-issued receipt is followed by its `dossier.recoded`.
                var next = hubHead.seq + 1
                for event in branch {
                    newSeq[event.seq] = next
                    next += event.type == "dossier.received" && event.dossier.flatMap({ codes[$0] }) != nil ? 2 : 1
                }
                var drafts: [EventDraft] = []
                for event in branch {
                    let recoded = event.dossier.flatMap { codes[$0] }
                    var seen: [String: Int] = [:]
                    for (seenOrigin, seq) in event.seen {
                        if seenOrigin == origin {
                            seen[origin] = newSeq[seq] ?? seq
                        } else if recoded == nil {
                            // A re-issued dossier holds only this node's events.
                            seen[seenOrigin] = seq
                        }
                    }
                    var body = event.body.objectValue ?? [:]
                    body["replaces"] = .string(event.hash)
                    drafts.append(
                        EventDraft(dossier: recoded ?? event.dossier, seen: seen, type: event.type, actor: event.actor, body: .object(body)))
                    touch(event.dossier)
                    touch(recoded)
                    if let recoded, event.type == "dossier.received", let old = event.dossier, let received = newSeq[event.seq] {
                        drafts.append(
                            EventDraft(
                                dossier: recoded, seen: [origin: received], type: "dossier.recoded", actor: event.actor,
                                body: [
                                    "at": .integer(Int(wallMilliseconds())), "from": .string(old), "to": .string(recoded),
                                    "reason": .string(
                                        "Mã \(old) đã được cấp cho hồ sơ khác trước khi máy được khôi phục từ bản sao lưu; hồ sơ nhận mã mới \(recoded)."),
                                ]))
                    }
                }
                report.branchEvents = branch.count
                let (appended, _) = try Self.append(drafts, db, key: key, wallMilliseconds: wallMilliseconds, validator: EventValidator())
                guard (appended.last?.seq ?? hubHead.seq) == next - 1 else {
                    throw refuse("the re-appended branch did not land where its seen were mapped")
                }
                let heal = try Self.insertForkHeal(db, report)
                let move = try db.cachedStatement(
                    sql: """
                        INSERT INTO forkedEvent (heal, origin, seq, epoch, hlc, dossier, type, hash, canonical, replacedBy)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                for event in forkedBranch {
                    try move.execute(arguments: [
                        heal, origin, event.seq, event.epoch, event.hlc.hex, event.dossier, event.type, event.hash, Data(event.storedBytes),
                        newSeq[event.seq],
                    ])
                }
            } else {
                _ = try Self.insertForkHeal(db, report)
            }

            // 4. The hub holds up to its head; refold what changed.
            try db.execute(
                sql: "UPDATE syncCursor SET storedSeq = ?, storedHash = ?, storedAt = ? WHERE id = 1", arguments: [hubHead.seq, hubHead.hash, now])
            for code in touched {
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE dossier = ?)", arguments: [code]) ?? false {
                    try Self.refreshProjection(db, code: code)
                } else {
                    for table in ["conflictView", "handoverView"] { try db.execute(sql: "DELETE FROM \(table) WHERE dossier = ?", arguments: [code]) }
                    try db.execute(sql: "DELETE FROM dossierView WHERE code = ?", arguments: [code])
                }
            }
            return report
        }
    }

    /// Records `report` as a `forkHeal` row; returns its id.
    static func insertForkHeal(_ db: Database, _ report: ForkHealReport) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO forkHeal (id, at, divergedAt, hubHead, tookBack, branchEvents, oldEpoch, newEpoch, recoded)
                VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                report.at, report.divergedAt, report.hubHead, report.tookBack, report.branchEvents, report.oldEpoch, report.newEpoch,
                CanonicalJSON.string(.array(report.recoded.map { ["from": .string($0.from), "to": .string($0.to)] })),
            ])
        return db.lastInsertedRowID
    }
}
