import Foundation
import GRDB
import LienThongCore

/// One sync attempt as the daemon (or `node sync`) recorded it.
public struct SyncAttemptRecord: Sendable, Hashable {
    public var kind: String
    public var startedAt: Int64
    public var endedAt: Int64
    /// `stored`, `duplicate`, `gap`, `fork`, `clone-suspected`, `epoch-fenced`, `invalid`,
    /// `refused` (401/403/400), `failed` (no answer, 5xx) or `cancelled` (shutdown).
    public var outcome: String
    public var detail: String?

    /// The hub answered and took (or already held) what was sent.
    public var succeeded: Bool { ["stored", "duplicate", "gap"].contains(outcome) }
    /// The hub answered a push with something a person must settle (DESIGN §5).
    public var isBlocking: Bool { ["fork", "clone-suspected", "epoch-fenced", "invalid", "refused"].contains(outcome) }
}

/// Everything `lienthong status` reads from a node's database (DESIGN §7): facts, not judgements.
/// ``StatusReport/evaluate(_:thresholds:)`` turns them into findings.
public struct NodeStatusFacts: Sendable {
    public var origin: String
    public var office: String
    public var now: Int64
    /// The hub this node is enrolled with, if any.
    public var hub: String?
    public var hubURL: String?
    /// The daemon's last heartbeat, its pid and its beat interval.
    public var heartbeat: (at: Int64, pid: Int32, intervalMs: Int64)?
    /// The last push and pull attempts, and the last attempt of any kind.
    public var lastPush: SyncAttemptRecord?
    public var lastPull: SyncAttemptRecord?
    /// Failed attempts (no answer, 5xx) of each lane since that lane last got an answer, and when
    /// the first of them began: a push lane failing while pulls succeed is not hidden by the pulls.
    public var pushFailures: Int
    public var pushFailingSince: Int64?
    public var pushAnsweredAt: Int64?
    public var pullFailures: Int
    public var pullFailingSince: Int64?
    public var pullAnsweredAt: Int64?
    /// The node's own head, and the hub's head for it as last acknowledged ("stored at the hub").
    public var localHead: Int
    public var storedSeq: Int
    public var storedAt: Int64?
    /// The business time (hlc) of the oldest own event the hub has not acknowledged.
    public var oldestPendingAt: Int64?
    /// Feed position stored here, the feed's end as last heard, and the last successful pull.
    public var pulled: Int
    public var feedEnd: Int
    public var pulledAt: Int64?
    /// Open conflicts and events waiting for missing predecessors, over every dossier.
    public var openConflicts: Int
    public var waitingEvents: Int
    /// Dossiers holding events this version only stores (a newer type or version): upgrade.
    public var needsUpgrade: Int = 0
    /// The hub's clock minus ours at the last contact, and when it was measured.
    public var hubSkewMs: Int64?
    /// Years of the working calendar in use that are provisional (today's, or an open dossier's
    /// appointment's): a fact. It warns only as ``provisionalToday`` or ``provisionalSoon`` say.
    public var provisionalYears: [Int]
    /// Today's own year (Vietnam time) is provisional: appointments made today are counted without
    /// its swapped days.
    public var provisionalToday: Bool = false
    /// Open dossiers whose appointment lies in a provisional year within the threshold's working
    /// days: close enough that a swap announced now could move it before the office can tell the citizen.
    public var provisionalSoon: [String] = []
    /// Open dossiers whose appointment lies in a provisional year, however far.
    public var provisionalAppointments: Int = 0
    /// Unfinished dossiers due within the threshold's working days with events the hub has not stored.
    public var dueNotStored: [String]
    /// The log's verification: events checked, and problems found (nil: not checked).
    public var verifiedEvents: Int?
    public var chainProblems: [String]
    /// The last fork this node healed (restored from a backup), when and what it did.
    public var lastHeal: (at: Int64, summary: String)? = nil
    /// The epoch this machine writes in: the operator keeps one machine's epoch when two write as
    /// one commune (`lienthong hub fork resolve NODE --keep EPOCH`).
    public var epoch: String = ""

    /// Own events the hub has not acknowledged.
    public var pending: Int { max(0, localHead - storedSeq) }
    /// Failed attempts of both lanes since their last answers.
    public var failuresSinceContact: Int { pushFailures + pullFailures }
    /// The last time the hub answered at all, on either lane.
    public var lastContactAt: Int64? { [pushAnsweredAt, pullAnsweredAt].compactMap { $0 }.max() }
    /// Feed entries the hub holds for this node that it has not pulled (as last heard).
    public var undelivered: Int { max(0, feedEnd - pulled) }
}

extension NodeDatabase {
    /// Gathers the facts of `lienthong status` on one snapshot.
    /// - Parameters:
    ///   - calendar: the node's working time, to find provisional years and "due within N working days".
    ///   - dueWithinWorkingDays: how far ahead a dossier counts as due soon.
    ///   - provisionalWithinWorkingDays: how far ahead an appointment in a provisional year counts
    ///     as close enough to warn (``NodeStatusFacts/provisionalSoon``).
    ///   - verifyChain: whether to walk the log (`node log verify`); it reads every event.
    public func statusFacts(
        now: Int64, workingTime: WorkingTime, dueWithinWorkingDays: Int = 2,
        provisionalWithinWorkingDays: Int = StatusThresholds().provisionalWithinWorkingDays, verifyChain: Bool = true
    ) throws(StoreError) -> NodeStatusFacts {
        var facts = try snapshot("read the node's status") { db -> NodeStatusFacts in
            guard let identity = try Self.fetchIdentity(db) else { throw StoreError.missingIdentity }
            let link = try Row.fetchOne(db, sql: "SELECT hub, url FROM hubLink WHERE id = 1")
            let cursor = try Row.fetchOne(
                db, sql: "SELECT storedSeq, storedAt, pulled, pulledAt, feedEnd, hubSkewMs FROM syncCursor WHERE id = 1")
            let storedSeq: Int = cursor?["storedSeq"] ?? 0
            let head = try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM event WHERE origin = ?", arguments: [identity.origin]) ?? 0
            let oldestPending = try String.fetchOne(
                db, sql: "SELECT hlc FROM event WHERE origin = ? AND seq > ? ORDER BY seq LIMIT 1", arguments: [identity.origin, storedSeq]
            ).flatMap(HLC.init(hex:)).map { Int64($0.physical) }
            func attempt(_ sql: String, _ arguments: StatementArguments = []) throws -> SyncAttemptRecord? {
                try Row.fetchOne(db, sql: "SELECT kind, startedAt, endedAt, outcome, detail FROM syncAttempt \(sql)", arguments: arguments).map {
                    SyncAttemptRecord(kind: $0["kind"], startedAt: $0["startedAt"], endedAt: $0["endedAt"], outcome: $0["outcome"], detail: $0["detail"])
                }
            }
            let lastPush = try attempt("WHERE kind = 'push' AND outcome != 'cancelled' ORDER BY id DESC LIMIT 1")
            let lastPull = try attempt("WHERE kind = 'pull' AND outcome != 'cancelled' ORDER BY id DESC LIMIT 1")
            // Each lane's last answer: an attempt the hub answered (even with a refusal), or its
            // cursor's time (an empty pull moves `pulledAt` without recording an attempt). Failures
            // count after it, per lane.
            func lane(_ kind: String, cursorTime: Int64?) throws -> (answeredAt: Int64?, failures: Int, since: Int64?) {
                let answered = try Int64.fetchOne(
                    db, sql: "SELECT MAX(endedAt) FROM syncAttempt WHERE kind = ? AND outcome NOT IN ('failed', 'cancelled')", arguments: [kind])
                let answeredAt = [answered, cursorTime].compactMap { $0 }.max()
                let failures = try Row.fetchOne(
                    db, sql: "SELECT COUNT(*) AS n, MIN(startedAt) AS since FROM syncAttempt WHERE kind = ? AND endedAt > ? AND outcome = 'failed'",
                    arguments: [kind, answeredAt ?? 0])
                return (answeredAt, failures?["n"] ?? 0, failures?["since"])
            }
            let push = try lane("push", cursorTime: cursor?["storedAt"])
            let pull = try lane("pull", cursorTime: cursor?["pulledAt"])
            let sums = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(openConflicts), 0) AS conflicts, COALESCE(SUM(waiting), 0) AS waiting,
                        COALESCE(SUM(needsUpgrade != 0), 0) AS upgrade FROM dossierView
                    """)
            // Open dossiers' appointments, for provisional years and for "due soon, not stored".
            let unfinished = try Row.fetchAll(
                db,
                sql: """
                    SELECT code, appointment, EXISTS (SELECT 1 FROM event WHERE event.dossier = dossierView.code AND event.origin = ? AND event.seq > ?) AS unstored
                    FROM dossierView WHERE status NOT IN ('3', '7', '8', '9', '10') AND appointment IS NOT NULL
                    """,
                arguments: [identity.origin, storedSeq])
            let today = LocalDate(vietnamTimeOf: now)
            let dueBy = workingTime.endOfWorkingDays(dueWithinWorkingDays, after: today)
            let provisionalBy = workingTime.endOfWorkingDays(provisionalWithinWorkingDays, after: today)
            var years: Set<Int> = [today.year]
            var due: [String] = []
            var provisionalSoon: [String] = []
            var provisionalAppointments = 0
            for row in unfinished {
                let appointment: Int64 = row["appointment"]
                let year = LocalDate(vietnamTimeOf: appointment).year
                years.insert(year)
                if appointment <= dueBy, row["unstored"] as Bool { due.append(row["code"]) }
                if workingTime.calendar.isProvisional(year) {
                    provisionalAppointments += 1
                    if appointment <= provisionalBy { provisionalSoon.append(row["code"]) }
                }
            }
            let heal = try Row.fetchOne(
                db, sql: "SELECT at, divergedAt, hubHead, tookBack, branchEvents, newEpoch, recoded FROM forkHeal ORDER BY id DESC LIMIT 1")
            var facts = NodeStatusFacts(
                origin: identity.origin, office: identity.officeName, now: now, hub: link?["hub"], hubURL: link?["url"],
                heartbeat: try Self.fetchHeartbeat(db), lastPush: lastPush, lastPull: lastPull,
                pushFailures: push.failures, pushFailingSince: push.since, pushAnsweredAt: push.answeredAt, pullFailures: pull.failures,
                pullFailingSince: pull.since, pullAnsweredAt: pull.answeredAt, localHead: head,
                storedSeq: storedSeq, storedAt: cursor?["storedAt"], oldestPendingAt: oldestPending, pulled: cursor?["pulled"] ?? 0,
                feedEnd: cursor?["feedEnd"] ?? 0, pulledAt: cursor?["pulledAt"], openConflicts: sums?["conflicts"] ?? 0,
                waitingEvents: sums?["waiting"] ?? 0, needsUpgrade: sums?["upgrade"] ?? 0, hubSkewMs: cursor?["hubSkewMs"],
                provisionalYears: years.sorted().filter { workingTime.calendar.isProvisional($0) }, dueNotStored: due.sorted(),
                verifiedEvents: nil, chainProblems: [], epoch: identity.epoch)
            facts.provisionalToday = workingTime.calendar.isProvisional(today.year)
            facts.provisionalSoon = provisionalSoon.sorted()
            facts.provisionalAppointments = provisionalAppointments
            if let heal {
                let recoded = (try? JSONParser.parse(Array((heal["recoded"] as String).utf8)))?.arrayValue ?? []
                let report = ForkHealReport(
                    divergedAt: heal["divergedAt"], hubHead: heal["hubHead"], tookBack: heal["tookBack"], branchEvents: heal["branchEvents"],
                    oldEpoch: "", newEpoch: heal["newEpoch"],
                    recoded: recoded.map { ForkHealReport.Recode(from: $0["from"]?.stringValue ?? "", to: $0["to"]?.stringValue ?? "") }, at: heal["at"])
                facts.lastHeal = (report.at, report.summary)
            }
            return facts
        }
        if verifyChain {
            let report = try verify()
            facts.verifiedEvents = report.eventCount
            facts.chainProblems = report.problems.prefix(5).map(\.description)
        }
        return facts
    }
}
