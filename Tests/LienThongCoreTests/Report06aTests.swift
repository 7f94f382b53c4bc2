import Foundation
import LienThongCore
import LienThongTesting
import Testing

/// Biểu II.06a against figures computed by an independent program: `Scripts/make-report-fixture.py`
/// (Python) generated a quarter of dossiers at three communes and, with its own deadline
/// arithmetic and its own reading of the report's rules, the figures each report must show. Here
/// the scenario is replayed through the real workflow (the events a commune and the district would
/// write), folded, and reported.
@Suite struct Report06aTests {
    struct Scenario: Decodable {
        struct Office: Decodable { var origin: String, agency: String, office: String, actor: String }
        struct Op: Decodable {
            var op: String
            var by: String
            var at: String
            var until: String?
            var approved: Bool?
        }
        struct Dossier: Decodable {
            var code: String
            var commune: String
            var procedure: String
            var channel: String
            var `case`: String
            var ops: [Op]
        }
        struct Report: Decodable {
            var from: String
            var to: String
            var commune: String?
            var field: String?
        }
        var district: Office
        var communes: [Office]
        var dossiers: [Dossier]
        var reports: [Report]
    }

    struct Expected: Decodable {
        struct Received: Decodable, Equatable { var total, online, counterOrPost, carriedOver: Int }
        struct Resolved: Decodable, Equatable { var total, early, onTime, late: Int }
        struct Pending: Decodable, Equatable { var total, withinTime, late: Int }
        struct Figures: Decodable, Equatable {
            var received: Received
            var resolved: Resolved
            var pending: Pending

            init(received: Received, resolved: Resolved, pending: Pending) {
                self.received = received
                self.resolved = resolved
                self.pending = pending
            }

            init(_ f: Report06a.Figures) {
                self.init(
                    received: Received(total: f.received, online: f.receivedOnline, counterOrPost: f.receivedCounterOrPost, carriedOver: f.carriedOver),
                    resolved: Resolved(total: f.resolved, early: f.early, onTime: f.onTime, late: f.resolvedLate),
                    pending: Pending(total: f.pending, withinTime: f.pendingWithinTime, late: f.pendingLate))
            }
        }
        struct Row: Decodable, Equatable {
            var commune: String
            var field: String
            var received: Received
            var resolved: Resolved
            var pending: Pending
        }
        struct Report: Decodable {
            var from: String
            var to: String
            var commune: String?
            var field: String?
            var rows: [Row]
            var total: Figures
        }
        var reports: [Report]
    }

    static let directory = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/report-06a")

    /// The scenario replayed: every dossier's events, as the offices' workflows wrote them.
    static func replay() throws -> (scenario: Scenario, events: [String: [Event]]) {
        let scenario = try JSONDecoder().decode(Scenario.self, from: Data(contentsOf: directory.appendingPathComponent("scenario.json")))
        var workflows: [String: Workflow] = [:]
        var actors: [String: String] = [:]
        for commune in scenario.communes {
            workflows[commune.agency] = try Fixtures.workflow(origin: commune.origin, agency: commune.agency, office: commune.office)
            actors[commune.agency] = commune.actor
        }
        let district = try Fixtures.workflow(
            origin: scenario.district.origin, agency: scenario.district.agency, office: scenario.district.office, staff: Fixtures.hubStaff)
        var builders: [String: EventLogBuilder] = [:]
        var events: [String: [Event]] = [:]
        for dossier in scenario.dossiers {
            for op in dossier.ops {
                let byDistrict = op.by == "district"
                let workflow = try #require(byDistrict ? district : workflows[dossier.commune])
                let actor = try #require(byDistrict ? scenario.district.actor : actors[dossier.commune])
                let now = Fixtures.vietnam(op.at)
                let draft: EventDraft
                do {
                    if op.op == "receive" {
                        let channel = try #require(Channel(rawValue: dossier.channel))
                        let intake = Workflow.Intake(
                            procedureCode: dossier.procedure, applicantName: "Nguyễn Thị Hồng", idNumber: "060190001234", phone: "0912345678",
                            address: "Thôn 1, Hàm Thuận Bắc, Bình Thuận", documents: ["Tờ khai"], channel: channel)
                        draft = try workflow.receive(intake, code: dossier.code, actor: actor, now: now)
                    } else {
                        draft = try workflow.draft(
                            try command(op, actor: actor), code: dossier.code, events: events[dossier.code] ?? [], actor: actor, now: now)
                    }
                } catch {
                    Issue.record("\(dossier.code) (\(dossier.case)) \(op.op) at \(op.at) by \(op.by): \(error)")
                    throw error
                }
                let event = builders[workflow.origin, default: EventLogBuilder(origin: workflow.origin)].add(draft)
                events[dossier.code, default: []].append(event)
            }
        }
        return (scenario, events)
    }

    static func command(_ op: Scenario.Op, actor: String) throws -> Workflow.Command {
        switch op.op {
        case "process": return .process(to: actor, step: nil)
        case "requestSupplement": return .requestSupplement(reason: "Thiếu bản sao giấy tờ", documents: ["Bản sao giấy tờ"])
        case "supplementReceived": return .supplementReceived(to: nil)
        case "extend": return .extend(until: try #require(op.until.flatMap(LocalDate.init(iso:))), reason: "Cần xác minh thêm")
        case "forward": return .forward(agency: "597", reason: "Thuộc thẩm quyền cấp huyện")
        case "accept": return .accept
        case "resolve": return .resolve(approved: op.approved ?? true, reason: op.approved == false ? "Không đủ điều kiện" : "")
        case "sendResult": return .sendResult
        case "return": return .returnResult
        case "withdraw": return .withdraw(reason: "Công dân xin rút hồ sơ")
        case "stop": return .stop(reason: "Hồ sơ không thuộc thẩm quyền")
        case "refuse": return .refuse(reason: "Hồ sơ không hợp lệ")
        default: throw FixtureError(description: "unknown op \(op.op)")
        }
    }

    struct FixtureError: Error, CustomStringConvertible { var description: String }

    @Test func everyReportMatchesTheIndependentFigures() throws {
        let (scenario, events) = try Self.replay()
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.directory.appendingPathComponent("expected.json")))
        #expect(expected.reports.count == scenario.reports.count)
        let timelines = events.compactMap { DossierTimeline(code: $0.key, events: $0.value) }
        #expect(timelines.count == scenario.dossiers.count)
        for want in expected.reports {
            let scope = Report06a.Scope(from: try #require(LocalDate(iso: want.from)), to: try #require(LocalDate(iso: want.to)), unit: "test", field: want.field)
            let report = Report06a(timelines.filter { want.commune == nil || $0.agency == want.commune }, scope: scope)
            let got = report.rows.filter { $0.level == .field }.map { row in
                let f = Expected.Figures(row.figures)
                return Expected.Row(commune: row.commune, field: row.field, received: f.received, resolved: f.resolved, pending: f.pending)
            }
            let label = "\(want.from)…\(want.to) commune \(want.commune ?? "all") field \(want.field ?? "all")"
            // Only the rows that differ, so a failure reads as a short list.
            let missing = want.rows.filter { !got.contains($0) }.map { "expected \($0)" }
            let extra = got.filter { !want.rows.contains($0) }.map { "computed \($0)" }
            #expect(missing + extra == [], "\(label)")
            #expect(Expected.Figures(report.total) == want.total, "\(label)")
        }
    }

    @Test func theScenarioCoversTheCasesTheIssueNames() throws {
        let scenario = try JSONDecoder().decode(Scenario.self, from: Data(contentsOf: Self.directory.appendingPathComponent("scenario.json")))
        let cases = Set(scenario.dossiers.map(\.case))
        let required = ["carried", "last-day", "extended", "pause", "withdrawn", "stopped", "refused", "district", "online"]
        for tag in required { #expect(cases.contains { $0.contains(tag) }, "no dossier exercises \(tag): \(cases.sorted())") }
        #expect(scenario.dossiers.count >= 200)
    }

    @Test func theRateIsEarlyPlusOnTimeOverResolvedRoundedHalfUp() {
        var figures = Report06a.Figures()
        #expect(figures.onTimeRate == nil)
        figures.early = 1
        figures.onTime = 1
        figures.resolvedLate = 1
        #expect(figures.onTimeRate == "66.67")
        figures.resolvedLate = 0
        #expect(figures.onTimeRate == "100.00")
        figures.early = 199
        figures.onTime = 0
        figures.resolvedLate = 1
        #expect(figures.onTimeRate == "99.50")
    }
}
