import LienThongCore

/// A status level, ordered, with the monitoring-plugin exit codes (Nagios, Icinga, Zabbix).
public enum StatusLevel: Int, Sendable, Comparable, CaseIterable {
    case ok = 0
    case warning = 1
    case critical = 2
    case unknown = 3

    public var name: String {
        switch self {
        case .ok: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown: "UNKNOWN"
        }
    }

    public static func < (lhs: StatusLevel, rhs: StatusLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One thing `status` found: its level, a stable code for scripts, and a sentence for a person.
public struct StatusFinding: Sendable, Hashable {
    public var level: StatusLevel
    public var code: String
    public var message: String

    public init(_ level: StatusLevel, _ code: String, _ message: String) {
        self.level = level
        self.code = code
        self.message = message
    }

    public var json: JSONValue { ["level": .string(level.name), "code": .string(code), "message": .string(message)] }
}

/// The thresholds of `lienthong status` (all options of the command).
public struct StatusThresholds: Sendable, Hashable {
    /// WARNING when the oldest event the hub has not acknowledged is older than this.
    public var pendingMs: Int64 = 15 * 60_000
    /// WARNING when the last successful pull is older than this.
    public var pullMs: Int64 = 30 * 60_000
    /// CRITICAL when the hub has not answered for this long while the node kept trying.
    public var unreachableMs: Int64 = 60 * 60_000
    /// WARNING when the hub's clock and ours differ by more than this.
    public var skewMs: Int64 = 5 * 60_000
    /// CRITICAL when they differ by more than this: hlcs and appointments a day off mislead people,
    /// even though the fold stays correct.
    public var skewCriticalMs: Int64 = 60 * 60_000
    /// CRITICAL when the heartbeat is older than this many of the daemon's beat intervals.
    public var missedBeats: Int64 = 3
    /// Hub: WARNING when a node has not been heard from for this long.
    public var silentMs: Int64 = 60 * 60_000
    /// Hub: WARNING when a decision waits undelivered for longer than this.
    public var undeliveredMs: Int64 = 60 * 60_000
    /// Hub: WARNING past this many events the projector has not folded; CRITICAL past ten times it.
    public var projectorLag: Int = 1_000
    /// WARNING when an open dossier's appointment lies in a provisional calendar year within this
    /// many working days (a swap announced now could move it). Further ahead it is a fact only:
    /// next year's calendar is provisional every December until the Government announces its swaps.
    public var provisionalWithinWorkingDays: Int = 5

    public init() {}
}

/// What `status` concludes: the worst level of its findings (OK only when none holds, DESIGN §7),
/// the findings, and the facts they came from.
public struct StatusReport: Sendable {
    public var subject: String
    public var checkedAt: Int64
    public var findings: [StatusFinding]
    public var facts: JSONValue

    public init(subject: String, checkedAt: Int64, findings: [StatusFinding], facts: JSONValue) {
        self.subject = subject
        self.checkedAt = checkedAt
        self.findings = findings
        self.facts = facts
    }

    public var level: StatusLevel { findings.map(\.level).max() ?? .ok }

    public var json: JSONValue {
        [
            "subject": .string(subject), "level": .string(level.name), "exitCode": .integer(level.rawValue),
            "checkedAt": .integer(Int(checkedAt)), "findings": .array(findings.map(\.json)), "facts": facts,
        ]
    }

    /// "3 min ago" style ages for messages.
    /// `rounded` rounds to the unit shown instead of cutting (a clock skew of 86,399,998 ms is
    /// "24 h", not "23 h"); an age is cut, so "over 15 min" never shows as "15 min" early.
    public static func age(_ milliseconds: Int64, rounded: Bool = false) -> String {
        let total = max(0, milliseconds)
        func unit(_ size: Int64) -> Int64 { rounded ? (total + size / 2) / size : total / size }
        // Each unit up to 120 of the one below (48 for hours), where the value rounds (or cuts) to it.
        func below(_ limit: Int64, _ smaller: Int64) -> Bool { total < limit - (rounded ? smaller / 2 : 0) }
        if below(120_000, 1000) { return "\(unit(1000)) s" }
        if below(7_200_000, 60_000) { return "\(unit(60_000)) min" }
        if below(172_800_000, 3_600_000) { return "\(unit(3_600_000)) h" }
        return "\(unit(86_400_000)) days"
    }

    /// The node's findings from its facts (DESIGN §7). Pure: the same facts and thresholds give
    /// the same report.
    public static func evaluate(_ facts: NodeStatusFacts, thresholds: StatusThresholds) -> StatusReport {
        var findings: [StatusFinding] = []
        let now = facts.now
        func add(_ level: StatusLevel, _ code: String, _ message: String) { findings.append(StatusFinding(level, code, message)) }

        if facts.hub == nil {
            add(.warning, "not-enrolled", "not enrolled with a hub: nothing leaves this office (run `lienthong node enroll --hub URL --token T`)")
        } else if let beat = facts.heartbeat {
            let late = beat.intervalMs * thresholds.missedBeats
            if now - beat.at > late {
                add(
                    .critical, "daemon-dead",
                    "the sync daemon (pid \(beat.pid)) last beat \(age(now - beat.at)) ago, more than \(thresholds.missedBeats) beats of \(age(beat.intervalMs)): start `lienthong node run`"
                )
            }
        } else {
            add(.critical, "daemon-never-ran", "the sync daemon has never run here: start `lienthong node run`")
        }
        if let push = facts.lastPush, push.isBlocking {
            let code = ["fork", "clone-suspected", "epoch-fenced"].contains(push.outcome) ? push.outcome : "queue-blocked"
            add(
                .critical, code,
                "pushing is blocked: the hub answered \(push.outcome) \(age(now - push.endedAt)) ago (\(push.detail ?? "no detail")); \(facts.pending) events wait; ask the hub operator"
            )
        }
        // A refusal counts until a later pull succeeds (an empty pull records no attempt, only `pulledAt`).
        if let pull = facts.lastPull, pull.outcome == "refused", pull.endedAt > (facts.pulledAt ?? .min) {
            add(.critical, "pull-refused", "the hub refused to deliver \(age(now - pull.endedAt)) ago (\(pull.detail ?? "no detail")); ask the hub operator")
        }
        // Each lane on its own: pushes failing while pulls succeed (or the reverse) still counts.
        let lanes: [(name: String, failures: Int, since: Int64?, answeredAt: Int64?, last: SyncAttemptRecord?)] = [
            ("push", facts.pushFailures, facts.pushFailingSince, facts.pushAnsweredAt, facts.lastPush),
            ("pull", facts.pullFailures, facts.pullFailingSince, facts.pullAnsweredAt, facts.lastPull),
        ]
        var failing: [(level: StatusLevel, text: String)] = []
        for lane in lanes where lane.failures > 0 {
            let since = lane.answeredAt ?? lane.since ?? now
            let text =
                "\(lane.failures) \(lane.name) attempts failed; the hub last answered a \(lane.name) "
                + (lane.answeredAt.map { "\(age(now - $0)) ago" } ?? "never")
                + (lane.last.flatMap { $0.outcome == "failed" ? $0.detail : nil }.map { " (last error: \($0))" } ?? "")
            failing.append((now - since > thresholds.unreachableMs ? .critical : .warning, text))
        }
        if let worst = failing.map(\.level).max() {
            add(worst, worst == .critical ? "hub-unreachable" : "sync-failing", failing.map(\.text).joined(separator: "; "))
        }
        if !facts.chainProblems.isEmpty {
            add(.critical, "chain-broken", "the event log does not verify: \(facts.chainProblems.joined(separator: "; ")); run `lienthong node log verify`")
        }
        if let oldest = facts.oldestPendingAt, now - oldest > thresholds.pendingMs {
            add(.warning, "events-pending", "\(facts.pending) events not stored at the hub; the oldest is \(age(now - oldest)) old")
        }
        if facts.hub != nil {
            if let pulled = facts.pulledAt {
                if now - pulled > thresholds.pullMs { add(.warning, "pull-stale", "the last successful pull was \(age(now - pulled)) ago") }
            } else {
                add(.warning, "pull-stale", "nothing has been pulled from the hub yet")
            }
        }
        if facts.openConflicts > 0 {
            add(.warning, "open-conflicts", "\(facts.openConflicts) open conflicts wait for a person (`lienthong dossier list`)")
        }
        if let skew = facts.hubSkewMs, abs(skew) > thresholds.skewMs {
            add(
                abs(skew) > thresholds.skewCriticalMs ? .critical : .warning, "clock-skew",
                "this machine's clock is \(age(abs(skew), rounded: true)) \(skew > 0 ? "behind" : "ahead of") the hub's; set the clock")
        }
        // A provisional year is normal for next year until its swaps are announced: it warns only
        // when it is this year's, or when an appointment in it is close (Docs/operating.md).
        if facts.provisionalToday || !facts.provisionalSoon.isEmpty {
            let year = LocalDate(vietnamTimeOf: now).year
            var reasons: [String] = []
            if facts.provisionalToday {
                reasons.append("this year's (\(year)) working calendar is provisional: today's appointments are counted without its swapped days")
            }
            if !facts.provisionalSoon.isEmpty {
                reasons.append(
                    "\(facts.provisionalSoon.count) open dossier(s) due within \(thresholds.provisionalWithinWorkingDays) working days in a provisional year: "
                        + facts.provisionalSoon.prefix(5).joined(separator: ", "))
            }
            add(
                .warning, "provisional-calendar",
                reasons.joined(separator: "; ") + "; install the announced calendar (`lienthong hub publish calendar`) when it is out")
        }
        if facts.needsUpgrade > 0 {
            add(.warning, "needs-upgrade", "\(facts.needsUpgrade) dossiers hold events this version only stores (a newer type or version): upgrade lienthong")
        }
        if facts.waitingEvents > 0 {
            add(.warning, "waiting-events", "\(facts.waitingEvents) events wait for missing predecessors")
        }
        if let heal = facts.lastHeal, now - heal.at < 7 * 86_400_000 {
            add(.warning, "fork-healed", "\(age(now - heal.at)) ago this machine was found \(heal.summary)")
        }
        if !facts.dueNotStored.isEmpty {
            add(
                .warning, "due-not-stored",
                "\(facts.dueNotStored.count) dossiers due within 2 working days have events the hub has not stored: \(facts.dueNotStored.prefix(5).joined(separator: ", "))"
            )
        }
        return StatusReport(subject: facts.origin, checkedAt: now, findings: findings, facts: facts.json)
    }
}

extension NodeStatusFacts {
    /// The facts as `status --json` prints them.
    public var json: JSONValue {
        func time(_ value: Int64?) -> JSONValue { value.map { .integer(Int($0)) } ?? .null }
        func attempt(_ record: SyncAttemptRecord?) -> JSONValue {
            guard let record else { return .null }
            return [
                "kind": .string(record.kind), "startedAt": .integer(Int(record.startedAt)), "endedAt": .integer(Int(record.endedAt)),
                "outcome": .string(record.outcome), "detail": record.detail.map(JSONValue.string) ?? .null,
            ]
        }
        return [
            "node": .string(origin), "office": .string(office), "epoch": .string(epoch), "hub": hub.map(JSONValue.string) ?? .null,
            "hubURL": hubURL.map(JSONValue.string) ?? .null,
            "heartbeat": heartbeat.map { ["at": .integer(Int($0.at)), "pid": .integer(Int($0.pid)), "intervalMs": .integer(Int($0.intervalMs))] } ?? .null,
            "lastPush": attempt(lastPush), "lastPull": attempt(lastPull),
            "failuresSinceContact": .integer(failuresSinceContact), "lastContactAt": time(lastContactAt),
            "pushFailures": .integer(pushFailures), "pushFailingSince": time(pushFailingSince), "pushAnsweredAt": time(pushAnsweredAt),
            "pullFailures": .integer(pullFailures), "pullFailingSince": time(pullFailingSince), "pullAnsweredAt": time(pullAnsweredAt),
            "needsUpgrade": .integer(needsUpgrade),
            "localHead": .integer(localHead), "storedAtHub": .integer(storedSeq), "storedAt": time(storedAt), "pending": .integer(pending),
            "oldestPendingAt": time(oldestPendingAt), "pulled": .integer(pulled), "feedEnd": .integer(feedEnd),
            "undelivered": .integer(undelivered), "pulledAt": time(pulledAt), "openConflicts": .integer(openConflicts),
            "waitingEvents": .integer(waitingEvents), "hubSkewMs": time(hubSkewMs),
            "provisionalYears": .array(provisionalYears.map { .integer($0) }), "provisionalToday": .bool(provisionalToday),
            "provisionalSoon": .array(provisionalSoon.map(JSONValue.string)), "provisionalAppointments": .integer(provisionalAppointments),
            "dueNotStored": .array(dueNotStored.map(JSONValue.string)),
            "lastHeal": lastHeal.map { ["at": .integer(Int($0.at)), "summary": .string($0.summary)] } ?? .null,
            "verifiedEvents": verifiedEvents.map { .integer($0) } ?? .null, "chainProblems": .array(chainProblems.map(JSONValue.string)),
        ]
    }
}
