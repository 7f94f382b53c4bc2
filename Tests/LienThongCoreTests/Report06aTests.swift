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
    static let january = (from: LocalDate(year: 2026, month: 1, day: 1)!, to: LocalDate(year: 2026, month: 1, day: 31)!)

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
            let scope = Report06a.Scope(
                from: try #require(LocalDate(iso: want.from)), to: try #require(LocalDate(iso: want.to)), unit: "test", field: want.field)
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
        figures.early = 1  // 1/32 = 3.125 %: half a hundredth, rounded up
        figures.resolvedLate = 31
        #expect(figures.onTimeRate == "3.13")
    }

    /// A name a spreadsheet would run as a formula is printed as text.
    @Test func aCSVCellThatLooksLikeAFormulaIsDefused() throws {
        var log = EventLogBuilder(origin: "xa-23059")
        let received = log.add(
            try Fixtures.workflow().receive(
                Fixtures.intake(procedure: "1.001193"), code: "23059-260105-0006", actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))
        var timeline = try #require(DossierTimeline(code: "23059-260105-0006", events: [received]))
        timeline.fieldName = "=HYPERLINK(\"http://example.invalid\",\"x\")"
        let csv = Report06a([timeline], scope: Report06a.Scope(from: Self.january.from, to: Self.january.to, unit: "test")).csv
        #expect(csv.contains(",\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"x\"\")\","))
        #expect(!csv.contains(",=HYPERLINK"))
    }

    /// The report follows the fold: a withdrawal the owner applied by settling its conflict is
    /// what finished the dossier, whatever was decided before.
    @Test func aFinishAppliedBySettlingAConflictIsTheOneTheReportCounts() throws {
        let commune = try Fixtures.workflow()
        let district = try Fixtures.districtWorkflow()
        var communeLog = EventLogBuilder(origin: "xa-23059")
        var districtLog = EventLogBuilder(origin: "hub-597")
        let code = "23059-260105-0003"
        var events = [
            communeLog.add(
                try commune.receive(Fixtures.intake(procedure: "1.001193"), code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))
        ]
        events.append(
            communeLog.add(
                try commune.draft(
                    .forward(agency: "597", reason: "Thẩm quyền huyện"), code: code, events: events, actor: "cb-tuphap-01",
                    now: Fixtures.vietnam("2026-01-05 09:00"))))
        events.append(
            districtLog.add(try district.draft(.accept, code: code, events: events, actor: "pb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 10:00"))))
        // The commune records the citizen's withdrawal without having seen the acceptance (as a
        // machine restored from a backup would): a conflict, since the district owns the dossier.
        events.append(
            communeLog.add(
                EventDraft(
                    dossier: code, seen: ["xa-23059": 2], type: "dossier.withdrawn", actor: "cb-tiepnhan-01",
                    body: ["at": .integer(Int(Fixtures.vietnam("2026-01-05 11:00"))), "reason": "Công dân xin rút hồ sơ"])))
        var state = DossierFold.fold(code: code, events: events)
        let conflict = try #require(state.openConflicts.first)
        events.append(
            districtLog.add(
                try district.draft(
                    .resolveConflict(id: conflict.id, apply: true, note: "Công dân đã rút"), code: code, events: events, actor: "vh-hethong",
                    now: Fixtures.vietnam("2026-01-09 09:00"))))
        state = DossierFold.fold(code: code, events: events)
        #expect(state.status == .withdrawn)
        let timeline = try #require(DossierTimeline(state, events: events))
        #expect(timeline.finish?.kind == .withdrawn)
        // Past the 1-day deadline, but a withdrawal counts on time.
        let figures = try #require(Report06a.classify(timeline, from: Self.january.from, to: Self.january.to))
        #expect(figures.onTime == 1 && figures.resolved == 1)
    }

    /// Times come from each office's clock: a decision stamped before the supplement it follows
    /// is judged against the deadline the supplement set, never the one before.
    @Test func timesThatGoBackwardsFollowTheFoldsOrder() throws {
        let commune = try Fixtures.workflow()
        var log = EventLogBuilder(origin: "xa-23059")
        let code = "23059-260105-0004"
        var events = [
            log.add(try commune.receive(Fixtures.intake(procedure: "1.001193"), code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))
        ]
        for (command, at) in [
            (Workflow.Command.requestSupplement(reason: "Thiếu giấy chứng sinh", documents: []), "2026-01-05 09:00"),
            (.supplementReceived(to: nil), "2026-01-12 08:00"),
            (.resolve(approved: true, reason: ""), "2026-01-12 07:30"),  // a clock 30 minutes behind
        ] {
            events.append(log.add(try commune.draft(command, code: code, events: events, actor: "cb-tiepnhan-01", now: Fixtures.vietnam(at))))
        }
        let timeline = try #require(DossierTimeline(code: code, events: events))
        #expect(timeline.finish?.at == Fixtures.vietnam("2026-01-12 08:00"))
        let figures = try #require(Report06a.classify(timeline, from: Self.january.from, to: Self.january.to))
        #expect(figures.early == 1)  // due on the 13th after the restart, decided on the 12th
    }

    /// An extension gives the citizen a later date, not the procedure more time: a supplement
    /// request after it pauses what was left of the deadline, not of the extended appointment.
    @Test func aPauseAfterAnExtensionKeepsWhatWasLeftOfTheDeadline() throws {
        let commune = try Fixtures.workflow()
        var log = EventLogBuilder(origin: "xa-23059")
        let code = "23059-260105-0005"
        // 1.004873: 3 working days (of 8 hours), supplement pauses the clock. Due 2026-01-08 08:00.
        var events = [
            log.add(try commune.receive(Fixtures.intake(procedure: "1.004873"), code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))
        ]
        events.append(
            log.add(
                try commune.draft(
                    .extend(until: LocalDate(iso: "2026-01-20")!, reason: "Cần xác minh"), code: code, events: events, actor: "cb-tiepnhan-01",
                    now: Fixtures.vietnam("2026-01-06 08:00"))))
        let request = log.add(
            try commune.draft(
                .requestSupplement(reason: "Thiếu giấy tờ", documents: []), code: code, events: events, actor: "cb-tiepnhan-01",
                now: Fixtures.vietnam("2026-01-06 09:00")))
        // From 09:00 on the 6th to 08:00 on the 8th: 6 + 8 + 1 working hours, not the days to the 20th.
        #expect(request.body["remaining"]?.integerValue == 15 * 60)
    }
}
