import Foundation
import GRDB
import LienThongCore

/// What `node log verify` found.
public struct VerificationReport: Sendable {
    /// Events checked, all origins.
    public var eventCount = 0
    /// Checkpoints whose signature was checked.
    public var checkpointCount = 0
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
    /// Walks every stored chain on one snapshot: every event's bytes, hash, seq and link, every
    /// stored checkpoint's signature against the origin's key for its epoch, and that each
    /// origin's last event is covered by a checkpoint.
    ///
    /// - Parameter progress: called every 10,000 events with the count checked so far.
    public func verify(progress: (Int) -> Void = { _ in }) throws(StoreError) -> VerificationReport {
        try snapshot("verify the event log") { db in
            var report = VerificationReport()
            var verifier = ChainVerifier()
            let events = try Row.fetchCursor(db, sql: "SELECT origin, seq, hash, canonical FROM event ORDER BY origin, seq")
            while let row = try events.next() {
                let bytes: Data = row["canonical"]
                if let problem = verifier.check(origin: row["origin"], seq: row["seq"], hash: row["hash"], bytes: Array(bytes)) {
                    report.problems.append(problem)
                }
                report.eventCount += 1
                if report.eventCount % 10_000 == 0 { progress(report.eventCount) }
            }
            report.heads = verifier.heads

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

            var lastCheckpointSeq: [String: Int] = [:]
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
                }
                report.checkpointCount += 1
                lastCheckpointSeq[checkpoint.origin] = checkpoint.seq
            }
            for (origin, head) in report.heads where (lastCheckpointSeq[origin] ?? 0) < head.seq {
                let first = (lastCheckpointSeq[origin] ?? 0) + 1
                report.problems.append(
                    .init(origin: origin, seq: first, reason: "events \(first)…\(head.seq) are not covered by a signed checkpoint"))
            }
            report.problems.sort { ($0.origin, $0.seq) < ($1.origin, $1.seq) }
            return report
        }
    }
}
