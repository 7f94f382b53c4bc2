import LienThongCore
import LienThongTesting
import Testing

@testable import LienThongStore

/// The findings of `status` from facts, one rule at a time: the states the end-to-end tests cannot
/// reach on demand with real processes (a skewed clock, a provisional year, a broken chain…).
@Suite struct StatusReportTests {
    static let now: Int64 = 1_790_000_000_000

    /// A healthy node: enrolled, beating, everything stored and pulled a moment ago.
    static func healthy() -> NodeStatusFacts {
        NodeStatusFacts(
            origin: "xa-23059", office: "UBND thị trấn Ma Lâm", now: now, hub: "hub-597", hubURL: "http://127.0.0.1:8080",
            heartbeat: (now - 1_000, 42, 5_000), lastPush: nil, lastPull: nil, pushFailures: 0, pushFailingSince: nil,
            pushAnsweredAt: now - 2_000, pullFailures: 0, pullFailingSince: nil, pullAnsweredAt: now - 1_000, localHead: 10, storedSeq: 10,
            storedAt: now - 2_000, oldestPendingAt: nil, pulled: 4, feedEnd: 4,
            pulledAt: now - 1_000, openConflicts: 0, waitingEvents: 0, hubSkewMs: 20, provisionalYears: [], dueNotStored: [],
            verifiedEvents: 10, chainProblems: [])
    }

    static func findings(_ change: (inout NodeStatusFacts) -> Void) -> StatusReport {
        var facts = healthy()
        change(&facts)
        return StatusReport.evaluate(facts, thresholds: StatusThresholds())
    }

    /// Next year provisional with appointments far in it is a fact: OK, exit 0, said in the facts.
    @Test func aProvisionalNextYearWithNoCloseAppointmentIsAFactNotAWarning() {
        let report = Self.findings {
            $0.provisionalYears = [2027]
            $0.provisionalAppointments = 3
        }
        #expect(report.level == .ok)
        #expect(report.findings.isEmpty)
        #expect(report.facts["provisionalYears"] == .array([.integer(2027)]))
        #expect(report.facts["provisionalAppointments"]?.integerValue == 3)
        #expect(report.facts["provisionalToday"] == .bool(false))
    }

    /// Both sides of the rule on a real database and the shipped calendar (2026 announced, 2027
    /// provisional), at dates the test sets: a December appointment three weeks into January is a
    /// fact; one within 5 working days of a late-December day warns; in 2027 itself status warns.
    @Test func aProvisionalYearWarnsOnlyWhenItIsThisYearOrAnAppointmentInItIsClose() throws {
        let workflow = try Fixtures.workflow()
        let database = try DossierStoreTests.newDatabase()
        let key = Fixtures.testKey()
        func intake(_ procedure: String) -> Workflow.Intake {
            var intake = DossierStoreTests.intake
            intake.procedureCode = procedure
            return intake
        }
        func facts(at text: String) throws -> NodeStatusFacts {
            try database.statusFacts(now: Fixtures.vietnam(text), workingTime: workflow.workingTime, verifyChain: false)
        }
        func provisionalFinding(_ facts: NodeStatusFacts) -> StatusFinding? {
            StatusReport.evaluate(facts, thresholds: StatusThresholds()).findings.first { $0.code == "provisional-calendar" }
        }
        // Monday 7 December 2026: 20 working days (trợ cấp xã hội) end on Tuesday 5 January 2027.
        let december = UInt64(Fixtures.vietnam("2026-12-07 09:00"))
        let far = try database.receive(intake("1.001776"), actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: { december })
        #expect(far.state.appointment.map { LocalDate(vietnamTimeOf: $0).iso } == "2027-01-05")
        let early = try facts(at: "2026-12-07 09:05")
        #expect(early.provisionalYears == [2027])
        #expect(!early.provisionalToday)
        #expect(early.provisionalSoon.isEmpty)
        #expect(early.provisionalAppointments == 1)
        #expect(provisionalFinding(early) == nil)
        // Monday 28 December: 5 working days reach Monday 4 January; both appointments are close.
        let late = UInt64(Fixtures.vietnam("2026-12-28 09:00"))
        let close = try database.receive(intake("1.000894"), actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: { late })
        let closing = try facts(at: "2026-12-28 09:05")
        #expect(closing.provisionalSoon == [far.state.code, close.state.code].sorted())
        #expect(provisionalFinding(closing)?.level == .warning)
        // With a threshold of 0 working days nothing is close, and it is a fact again.
        let none = try database.statusFacts(
            now: Fixtures.vietnam("2026-12-28 09:05"), workingTime: workflow.workingTime, provisionalWithinWorkingDays: 0, verifyChain: false)
        #expect(none.provisionalSoon.isEmpty && none.provisionalAppointments == 2)
        // In 2027 (provisional) every status warns, whatever the appointments.
        let newYear = try facts(at: "2027-01-11 09:00")
        #expect(newYear.provisionalToday)
        #expect(provisionalFinding(newYear)?.message.contains("this year's (2027)") == true)
    }

    @Test func aHealthyNodeIsOKAndEachFactRaisesItsOwnFinding() {
        #expect(StatusReport.evaluate(Self.healthy(), thresholds: StatusThresholds()).level == .ok)
        let cases: [(String, StatusLevel, (inout NodeStatusFacts) -> Void)] = [
            ("not-enrolled", .warning, { $0.hub = nil }),
            ("daemon-never-ran", .critical, { $0.heartbeat = nil }),
            ("daemon-dead", .critical, { $0.heartbeat = (Self.now - 15_001, 42, 5_000) }),
            (
                "queue-blocked", .critical,
                { $0.lastPush = SyncAttemptRecord(kind: "push", startedAt: Self.now - 9, endedAt: Self.now - 8, outcome: "refused", detail: "401") }
            ),
            (
                "clone-suspected", .critical,
                { $0.lastPush = SyncAttemptRecord(kind: "push", startedAt: Self.now - 9, endedAt: Self.now - 8, outcome: "clone-suspected", detail: nil) }
            ),
            (
                "pull-refused", .critical,
                { $0.lastPull = SyncAttemptRecord(kind: "pull", startedAt: Self.now - 9, endedAt: Self.now - 8, outcome: "refused", detail: "403") }
            ),
            (
                "sync-failing", .warning,
                {
                    $0.pullFailures = 1
                    $0.pullFailingSince = Self.now - 5
                }
            ),
            (
                "hub-unreachable", .critical,
                {
                    $0.pullFailures = 9
                    $0.pullAnsweredAt = Self.now - 3_600_001
                }
            ),
            // Pushes failing for over an hour while pulls succeed: not hidden by the pulls.
            (
                "hub-unreachable", .critical,
                {
                    $0.localHead = 11
                    $0.oldestPendingAt = Self.now - 60_000
                    $0.pushFailures = 40
                    $0.pushAnsweredAt = Self.now - 3_600_001
                }
            ),
            ("needs-upgrade", .warning, { $0.needsUpgrade = 1 }),
            ("chain-broken", .critical, { $0.chainProblems = ["xa-23059 seq 3: hash mismatch"] }),
            (
                "events-pending", .warning,
                {
                    $0.localHead = 12
                    $0.oldestPendingAt = Self.now - 900_001
                }
            ),
            ("pull-stale", .warning, { $0.pulledAt = Self.now - 1_800_001 }),
            ("pull-stale", .warning, { $0.pulledAt = nil }),
            ("open-conflicts", .warning, { $0.openConflicts = 2 }),
            ("clock-skew", .warning, { $0.hubSkewMs = -300_001 }),
            ("clock-skew", .warning, { $0.hubSkewMs = 3_600_000 }),
            ("clock-skew", .critical, { $0.hubSkewMs = 3_600_001 }),
            ("clock-skew", .critical, { $0.hubSkewMs = -86_400_000 }),
            (
                "provisional-calendar", .warning,
                {
                    $0.provisionalYears = [2026]
                    $0.provisionalToday = true
                }
            ),
            (
                "provisional-calendar", .warning,
                {
                    $0.provisionalYears = [2027]
                    $0.provisionalSoon = ["23059-261228-0001"]
                    $0.provisionalAppointments = 1
                }
            ),
            ("waiting-events", .warning, { $0.waitingEvents = 1 }),
            ("due-not-stored", .warning, { $0.dueNotStored = ["23059-261120-0001"] }),
        ]
        for (code, level, change) in cases {
            let report = Self.findings(change)
            #expect(report.findings.map(\.code) == [code], "\(code)")
            #expect(report.level == level, "\(code)")
            #expect(report.json["exitCode"]?.integerValue == level.rawValue)
        }
    }

    @Test func aRefusedPullStopsCountingOnceAPullSucceeds() {
        var facts = Self.healthy()
        facts.lastPull = SyncAttemptRecord(kind: "pull", startedAt: Self.now - 60_000, endedAt: Self.now - 59_000, outcome: "refused", detail: "403")
        facts.pulledAt = Self.now - 1_000
        #expect(StatusReport.evaluate(facts, thresholds: StatusThresholds()).level == .ok)
        facts.pulledAt = Self.now - 70_000
        #expect(StatusReport.evaluate(facts, thresholds: StatusThresholds()).findings.map(\.code) == ["pull-refused"])
    }

    @Test func thresholdsAreOptionsNotConstants() {
        var facts = Self.healthy()
        facts.localHead = 11
        facts.oldestPendingAt = Self.now - 60_000
        var thresholds = StatusThresholds()
        #expect(StatusReport.evaluate(facts, thresholds: thresholds).level == .ok)
        thresholds.pendingMs = 59_000
        #expect(StatusReport.evaluate(facts, thresholds: thresholds).findings.map(\.code) == ["events-pending"])
    }
}
