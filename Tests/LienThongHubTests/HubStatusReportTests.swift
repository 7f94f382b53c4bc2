import LienThongStore
import Testing

@testable import LienThongHub

/// The findings of `hub status` from facts, one rule at a time (what real processes cannot reach
/// on demand: a silent node, a day-off clock, a projector far behind).
@Suite struct HubStatusReportTests {
    @Test func theHubWarnsOfSilentNodesUndeliveredDecisionsQuarantineAndProjectorLag() {
        let now: Int64 = 1_790_000_000_000
        let quiet = HubNodeStatus(
            node: "xa-23062", enrolledAt: now - 10_000_000, lastSeenAt: now - 3_600_001, revokedAt: nil, delivered: 2, feedEnd: 5, storedHead: 5,
            reportedHead: 8, caughtUpAt: now - 4_000_000, oldestUndeliveredAt: now - 3_600_001, openConflicts: 0, skewMs: 400_000,
            quarantined: 1)
        #expect(quiet.lagEvents == 3)
        #expect(quiet.lagMilliseconds(now: now) == 4_000_000)
        let revoked = HubNodeStatus(
            node: "xa-23065", enrolledAt: now - 10_000_000, lastSeenAt: now - 9_000_000, revokedAt: now - 8_000_000, delivered: 0, feedEnd: 0,
            storedHead: 1, reportedHead: 1, caughtUpAt: nil, oldestUndeliveredAt: nil, openConflicts: 0, skewMs: nil, quarantined: 0)
        let facts = HubStatusFacts(
            hub: "hub-597", office: "UBND huyện Hàm Thuận Bắc", now: now, nodes: [quiet, revoked], heartbeat: (now - 1_000, 7, 5_000),
            storedEvents: 12_000, projected: 10_000, quarantined: 1, openConflicts: 0)
        let report = StatusReport.evaluate(facts, thresholds: StatusThresholds())
        #expect(report.findings.map(\.code) == ["silent-nodes", "undelivered", "nodes-behind", "quarantined", "projector-lag", "clock-skew"])
        // A revoked node is not silent: nobody expects it to call.
        #expect(report.findings.first?.message.contains("xa-23065") == false)
        #expect(report.level == .warning)
        var down = facts
        down.heartbeat = (now - 15_001, 7, 5_000)
        down.storedEvents = 30_000
        let critical = StatusReport.evaluate(down, thresholds: StatusThresholds())
        #expect(critical.level == .critical)
        #expect(Set(critical.findings.filter { $0.level == .critical }.map(\.code)) == ["hub-down", "projector-lag"])
        // A node's clock a day off is CRITICAL, not only a warning.
        var skewed = facts
        skewed.nodes[0].skewMs = -86_400_000
        let dayOff = StatusReport.evaluate(skewed, thresholds: StatusThresholds())
        #expect(dayOff.findings.first { $0.code == "clock-skew" }?.level == .critical)
        #expect(dayOff.findings.first { $0.code == "clock-skew" }?.message.contains("xa-23062 (−24 h)") == true)
    }
}
