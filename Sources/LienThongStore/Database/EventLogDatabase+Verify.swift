import Foundation
import GRDB
import LienThongCore

/// What `node log verify` found.
public struct VerificationReport: Sendable {
    /// Events checked, all origins.
    public var eventCount = 0
    /// Checkpoints whose signature was checked.
    public var checkpointCount = 0
    /// Signed feed pages (pulled from the hub) whose signature was checked.
    public var pageCount = 0
    /// Each origin's last event.
    public var heads: [String: ChainVerifier.Head] = [:]
    /// Everything found wrong, by origin and seq.
    public var problems: [ChainVerifier.Problem] = []

    /// Whether the log proved itself.
    public var isIntact: Bool { problems.isEmpty }

    /// The first broken place, by origin and then seq.
    public var firstProblem: ChainVerifier.Problem? { problems.first }
}

extension EventLogDatabase {
    /// Walks every stored chain on one snapshot and proves each event:
    ///
    /// - every event's bytes, hash and fields; a chain with checkpoints (the node's own; every
    ///   origin at the hub) contiguous from seq 1 and linked;
    /// - every stored checkpoint's signature against the origin's key for its epoch;
    /// - every stored feed page's signature against the key of the hub this node enrolled with;
    /// - each event covered either by a valid checkpoint at or after it on a chain linked from
    ///   genesis, or by a feed entry naming its hash on a valid page (other origins' events at a
    ///   node, which are sparse: only the dossiers the node can see);
    /// - nothing missing: every entry of a valid page is in the log, and the node's own head is not
    ///   below what the hub acknowledged storing.
    ///
    /// - Parameter progress: called every 10,000 events with the count checked so far.
    public func verify(progress: (Int) -> Void = { _ in }) throws(StoreError) -> VerificationReport {
        try snapshot("verify the event log") { db in
            var report = VerificationReport()
            let own = try Self.fetchIdentity(db)?.origin

            var keys: [String: VerifyingKey] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT origin, epoch, publicKey FROM originKey") {
                let origin: String = row["origin"]
                let epoch: String = row["epoch"]
                do {
                    keys[origin + "/" + epoch] = try VerifyingKey(hex: row["publicKey"])
                } catch {
                    report.problems.append(.init(origin: origin, seq: 0, reason: "stored public key of epoch \(epoch) is malformed"))
                }
            }

            // A node holds the hub's signed pages and its sync cursor; a hub holds neither.
            let syncs = try db.tableExists("feedPage")
            var signedByPage = syncs ? try Self.verifiedFeedEntries(db, node: own, keys: keys, report: &report) : [:]

            var checkpointedThrough: [String: Int] = [:]
            var checkpointed: Set<String> = []
            let checkpoints = try Row.fetchCursor(
                db,
                sql: """
                    SELECT c.origin, c.epoch, c.seq, c.hash, c.signature, e.hash AS eventHash, e.epoch AS eventEpoch
                    FROM checkpoint c LEFT JOIN event e ON e.origin = c.origin AND e.seq = c.seq
                    ORDER BY c.origin, c.seq
                    """)
            while let row = try checkpoints.next() {
                let checkpoint = Checkpoint(
                    origin: row["origin"], epoch: row["epoch"], seq: row["seq"], hash: row["hash"], signature: row["signature"])
                let eventHash: String? = row["eventHash"]
                let eventEpoch: String? = row["eventEpoch"]
                let eventAtSeq = eventHash.flatMap { hash in eventEpoch.map { (hash: hash, epoch: $0) } }
                checkpointed.insert(checkpoint.origin)
                if let problem = ChainVerifier.check(checkpoint, eventAtSeq: eventAtSeq, key: keys[checkpoint.origin + "/" + checkpoint.epoch]) {
                    report.problems.append(problem)
                } else {
                    checkpointedThrough[checkpoint.origin] = checkpoint.seq
                }
                report.checkpointCount += 1
            }

            var verifier = ChainVerifier()
            var linkedThrough: [String: Int] = [:]
            var uncovered: (origin: String, first: Int, last: Int, count: Int)?
            func closeUncovered() {
                guard let run = uncovered else { return }
                let which = run.count == 1 ? "event \(run.first) is" : "\(run.count) events from \(run.first) to \(run.last) are"
                report.problems.append(
                    .init(origin: run.origin, seq: run.first, reason: "\(which) not covered by a signed checkpoint or a signed feed page"))
                uncovered = nil
            }
            let events = try Row.fetchCursor(db, sql: "SELECT origin, seq, hash, canonical FROM event ORDER BY origin, seq")
            while let row = try events.next() {
                let origin: String = row["origin"]
                let seq: Int = row["seq"]
                let hash: String = row["hash"]
                let bytes: Data = row["canonical"]
                // Only a chain nobody checkpointed here may have gaps: another origin's events
                // pulled for the dossiers this node sees.
                let sparse = origin != own && !checkpointed.contains(origin)
                var problem = verifier.check(origin: origin, seq: seq, hash: hash, bytes: Array(bytes), allowGaps: sparse)
                if let found = problem { report.problems.append(found) }
                // A damaged event is reported once, by its own problem: the chain's coverage runs on
                // through it (the events after it still link to its recorded hash).
                if (linkedThrough[origin] ?? 0) == seq - 1 { linkedThrough[origin] = seq }
                report.eventCount += 1
                if report.eventCount % 10_000 == 0 { progress(report.eventCount) }

                let byCheckpoint = linkedThrough[origin] == seq && seq <= (checkpointedThrough[origin] ?? 0)
                let pageHash = signedByPage.removeValue(forKey: origin + "/" + String(seq))
                if let pageHash, pageHash != hash, problem == nil {
                    problem = .init(
                        origin: origin, seq: seq,
                        reason: "the signed feed page names hash \(pageHash.prefix(12))… but the log holds \(hash.prefix(12))…")
                    report.problems.append(problem!)
                }
                if byCheckpoint || pageHash == hash || problem != nil {
                    if uncovered?.origin == origin { closeUncovered() }
                    continue
                }
                if let run = uncovered, run.origin == origin {
                    uncovered?.last = seq
                    uncovered?.count += 1
                } else {
                    closeUncovered()
                    uncovered = (origin, seq, seq, 1)
                }
            }
            closeUncovered()
            report.heads = verifier.heads

            // What a valid page names but the log lacks was deleted.
            for (key, _) in signedByPage {
                let parts = key.split(separator: "/")
                let origin = String(parts.first ?? "")
                let seq = Int(parts.last ?? "") ?? 0
                report.problems.append(.init(origin: origin, seq: seq, reason: "a signed feed page names this event, but the log does not hold it"))
            }
            if syncs, let own, let acknowledged = try Int.fetchOne(db, sql: "SELECT storedSeq FROM syncCursor WHERE id = 1"),
                acknowledged > (report.heads[own]?.seq ?? 0)
            {
                let head = report.heads[own]?.seq ?? 0
                report.problems.append(
                    .init(
                        origin: own, seq: head + 1,
                        reason: "the hub acknowledged storing this node's events up to seq \(acknowledged), but the log ends at \(head)"))
            }
            report.problems.sort { ($0.origin, $0.seq) < ($1.origin, $1.seq) }
            return report
        }
    }

    /// Checks every stored feed page's signature with the key of the hub this node enrolled with
    /// (any epoch of it that was pinned); returns the entries of the pages that verify, as
    /// "origin/seq" → hash. A page claiming another signer — this node itself, another origin
    /// whose key happens to be stored — is a problem, never a proof.
    private static func verifiedFeedEntries(
        _ db: Database, node: String?, keys: [String: VerifyingKey], report: inout VerificationReport
    ) throws -> [String: String] {
        let linkedHub = try String.fetchOne(db, sql: "SELECT hub FROM hubLink WHERE id = 1")
        var signed: [String: String] = [:]
        // The hub's events moved aside when a hub restored from a backup wrote them again: their
        // pages still name them, the log rightly no longer holds them.
        let movedAside = Set(try String.fetchAll(db, sql: "SELECT hash FROM forkedEvent WHERE heal < 0"))
        for page in try Row.fetchAll(db, sql: "SELECT upTo, since, hub, hubEpoch, signature FROM feedPage ORDER BY upTo") {
            let since: Int = page["since"]
            let to: Int = page["upTo"]
            let hub: String = page["hub"]
            let hubEpoch: String = page["hubEpoch"]
            let summary = try Self.fetchPageSummary(db, node: node ?? "", since: since, upTo: to)
            let entries = summary.entries
            report.pageCount += 1
            guard hub == linkedHub, hub != node else {
                report.problems.append(
                    .init(
                        origin: hub, seq: 0,
                        reason: "feed page \(since + 1)…\(to) claims to be signed by \(hub), not by the hub this node enrolled with (\(linkedHub ?? "none"))"))
                continue
            }
            guard let key = keys[hub + "/" + hubEpoch] else {
                report.problems.append(
                    .init(origin: hub, seq: 0, reason: "feed page \(since + 1)…\(to) was signed by epoch \(hubEpoch), whose key is not pinned"))
                continue
            }
            guard PageSignature.verify(summary, signature: page["signature"], key: key) else {
                report.problems.append(
                    .init(origin: hub, seq: 0, reason: "feed page \(since + 1)…\(to): the signature does not verify with the pinned hub key"))
                continue
            }
            for entry in entries where !movedAside.contains(entry.hash) { signed[entry.origin + "/" + String(entry.seq)] = entry.hash }
        }
        return signed
    }

    /// The summary of the stored feed page `(since, upTo]` of `node`'s feed: its entries as stored.
    static func fetchPageSummary(_ db: Database, node: String, since: Int, upTo: Int) throws -> PageSignature.Summary {
        let entries = try Row.fetchAll(
            db, sql: "SELECT position, origin, seq, hash FROM feedEntry WHERE position > ? AND position <= ? ORDER BY position", arguments: [since, upTo]
        ).map { PageSignature.Entry(position: $0["position"], origin: $0["origin"], seq: $0["seq"], hash: $0["hash"]) }
        return PageSignature.Summary(node: node, since: since, to: upTo, entries: entries)
    }
}
