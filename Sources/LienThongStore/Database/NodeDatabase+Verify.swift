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

extension NodeDatabase {
    /// Walks every stored chain on one snapshot and proves each event:
    ///
    /// - every event's bytes, hash and fields; the node's own chain contiguous from seq 1 and linked;
    /// - every stored checkpoint's signature against the origin's key for its epoch;
    /// - every stored feed page's signature against the pinned hub key;
    /// - each event covered either by a valid checkpoint at or after it on a chain linked from
    ///   genesis (the node's own events; every origin at the hub), or by a feed entry naming its
    ///   hash on a valid page (other origins' events at a node, which are sparse: only the dossiers
    ///   the node can see).
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

            let signedByPage = try Self.verifiedFeedEntries(db, node: own ?? "", keys: keys, report: &report)

            var checkpointedThrough: [String: Int] = [:]
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
                if let problem = ChainVerifier.check(checkpoint, eventAtSeq: eventAtSeq, key: keys[checkpoint.origin + "/" + checkpoint.epoch]) {
                    report.problems.append(problem)
                } else {
                    checkpointedThrough[checkpoint.origin] = checkpoint.seq
                }
                report.checkpointCount += 1
            }

            var verifier = ChainVerifier()
            var linkedThrough: [String: Int] = [:]
            var uncovered: (origin: String, first: Int, last: Int)?
            func closeUncovered() {
                guard let run = uncovered else { return }
                report.problems.append(
                    .init(
                        origin: run.origin, seq: run.first,
                        reason: "events \(run.first)…\(run.last) are not covered by a signed checkpoint or a signed feed page"))
                uncovered = nil
            }
            let events = try Row.fetchCursor(db, sql: "SELECT origin, seq, hash, canonical FROM event ORDER BY origin, seq")
            while let row = try events.next() {
                let origin: String = row["origin"]
                let seq: Int = row["seq"]
                let hash: String = row["hash"]
                let bytes: Data = row["canonical"]
                let problem = verifier.check(origin: origin, seq: seq, hash: hash, bytes: Array(bytes), allowGaps: origin != own)
                // A damaged event is reported once, by its own problem: the chain's coverage runs on
                // through it (the events after it still link to its recorded hash).
                if let problem { report.problems.append(problem) }
                if (linkedThrough[origin] ?? 0) == seq - 1 { linkedThrough[origin] = seq }
                report.eventCount += 1
                if report.eventCount % 10_000 == 0 { progress(report.eventCount) }

                let byCheckpoint = linkedThrough[origin] == seq && seq <= (checkpointedThrough[origin] ?? 0)
                let pageHash = signedByPage[origin + "/" + String(seq)]
                if let pageHash, pageHash != hash {
                    report.problems.append(
                        .init(
                            origin: origin, seq: seq,
                            reason: "the signed feed page names hash \(pageHash.prefix(12))… but the log holds \(hash.prefix(12))…"))
                }
                if byCheckpoint || pageHash == hash || problem != nil {
                    if uncovered?.origin == origin { closeUncovered() }
                    continue
                }
                if let run = uncovered, run.origin == origin {
                    uncovered?.last = seq
                } else {
                    closeUncovered()
                    uncovered = (origin, seq, seq)
                }
            }
            closeUncovered()
            report.heads = verifier.heads
            report.problems.sort { ($0.origin, $0.seq) < ($1.origin, $1.seq) }
            return report
        }
    }

    /// Checks every stored feed page's signature with the pinned key of the hub epoch that signed
    /// it; returns the entries of the pages that verify, as "origin/seq" → hash.
    private static func verifiedFeedEntries(
        _ db: Database, node: String, keys: [String: VerifyingKey], report: inout VerificationReport
    ) throws -> [String: String] {
        var signed: [String: String] = [:]
        for page in try Row.fetchAll(db, sql: "SELECT upTo, since, hub, hubEpoch, signature FROM feedPage ORDER BY upTo") {
            let since: Int = page["since"]
            let to: Int = page["upTo"]
            let hub: String = page["hub"]
            let hubEpoch: String = page["hubEpoch"]
            let entries = try Row.fetchAll(
                db, sql: "SELECT position, origin, seq, hash FROM feedEntry WHERE position > ? AND position <= ? ORDER BY position",
                arguments: [since, to]
            ).map { PageSignature.Entry(position: $0["position"], origin: $0["origin"], seq: $0["seq"], hash: $0["hash"]) }
            let summary = PageSignature.Summary(node: node, since: since, to: to, entries: entries)
            report.pageCount += 1
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
            for entry in entries { signed[entry.origin + "/" + String(entry.seq)] = entry.hash }
        }
        return signed
    }
}
