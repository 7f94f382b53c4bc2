import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync
import LienThongTesting
import LienThongWire
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The citizen lookup and the hub's published calendars and catalogues, over real HTTP on loopback
/// with real SQLite files.
@Suite struct LookupAndPublishTests {
    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-lookup-\(UUID().uuidString)")
    }

    struct Answer {
        var status: Int
        var body: Data
        var retryAfter: String?
        var json: JSONValue? { try? JSONParser.parse(Array(body)) }
    }

    static func get(_ hub: LiveHub, _ query: String) async throws -> Answer {
        let url = try #require(URL(string: "\(hub.url.absoluteString)/v1/lookup?\(query)"))
        let (data, response) = try await URLSession(configuration: .ephemeral).data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        return Answer(status: http.statusCode, body: data, retryAfter: http.value(forHTTPHeaderField: "Retry-After"))
    }

    @Test func theRightPairGetsTheStatusAndNothingPersonalAndAWrongPairLooksUnknown() async throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let prepared = try LiveHub.makeService(directory: root.appendingPathComponent("hub"))
        // A stopped clock: no token comes back during the test, however slow the machine.
        let frozen = Int64(Date().timeIntervalSince1970 * 1000)
        let hub = try await LiveHub.serve(prepared, lookupLimiter: LookupLimiter(perMinute: 8, clock: { frozen }))
        let node = try LiveNode(directory: root.appendingPathComponent("xa-23059"))
        let sync = try await node.enroll(with: hub)
        let code = try node.receive(procedure: "1.001193", applicant: "Trần Thị Hà")
        try await sync.once()
        let state = try #require(try node.database.dossier(code))

        let found = try await Self.get(hub, "code=\(code)&id=6789")  // Fixtures.intake's ID ends in 6789
        #expect(found.status == 200)
        let json = try #require(found.json)
        #expect(Set(json.objectValue?.keys.map { $0 } ?? []) == ["code", "status", "statusText", "appointment", "appointmentText", "collectAt"])
        #expect(json["code"]?.stringValue == code)
        #expect(json["status"]?.stringValue == "2")
        #expect(json["statusText"]?.stringValue == "Đã tiếp nhận")
        #expect(json["appointment"]?.integerValue.map(Int64.init) == state.appointment)
        #expect(json["collectAt"]?.stringValue == "Bộ phận tiếp nhận và trả kết quả, UBND thị trấn Ma Lâm")
        let text = String(decoding: found.body, as: UTF8.self)
        for personal in [state.applicant.name, state.applicant.idNumber, state.applicant.address, state.contact["phone"]?.value ?? "0912345678", "Tờ khai"] {
            #expect(!text.contains(personal), "the lookup answer carries \(personal)")
        }

        let wrongDigits = try await Self.get(hub, "code=\(code)&id=6788")
        let unknownCode = try await Self.get(hub, "code=23059-991231-0001&id=6789")
        #expect(wrongDigits.status == 404)
        #expect(unknownCode.status == 404)
        #expect(wrongDigits.body == unknownCode.body)
        let malformed = try await Self.get(hub, "code=\(code)&id=67a9")
        #expect(malformed.status == 400)
        #expect(malformed.json?["message"]?.stringValue?.contains("id: expected the last four digits") == true)

        // Four lookups so far, found or not or malformed; the limit is 8 a minute and every one counts.
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try await Self.get(hub, "code=\(code)&id=6789").status) }
        #expect(statuses == [200, 200, 200, 200])
        let limited = try await Self.get(hub, "code=\(code)&id=6789")
        #expect(limited.status == 429)
        // Every answer is one the OpenAPI document allows.
        let contract = try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-hub.json")
        for answer in [found, wrongDigits, malformed, limited] {
            let exchange = HTTPExchange(
                method: "GET", path: "/v1/lookup", query: ["code", "id"], requestBody: nil, status: answer.status, responseBody: Array(answer.body))
            #expect(contract.problems(exchange) == [])
        }
        #expect(limited.json?["error"]?.stringValue == "rate-limited")
        #expect((limited.retryAfter.flatMap(Int.init) ?? 0) >= 1)
        await hub.stop()
    }

    @Test func anOpenStatusConflictAnswersProcessing() async throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let hub = try await LiveHub.serve(try LiveHub.makeService(directory: root.appendingPathComponent("hub")))
        let node = try LiveNode(directory: root.appendingPathComponent("xa-23059"))
        let sync = try await node.enroll(with: hub)
        let code = try node.receive(procedure: "1.013978")
        try node.perform(.forward(agency: "597", reason: "Thẩm quyền huyện"), on: code)
        // A withdrawal written after the forward, as a commune that had not seen its own forward
        // would (a restored machine): the workflow refuses it now, so it is appended directly — the
        // fold at the hub turns it into a status conflict, which is the state this test needs.
        try node.database.append(
            [
                EventDraft(
                    dossier: code, type: "dossier.withdrawn", actor: "cb-tiepnhan-01",
                    body: ["at": .integer(Int(Date().timeIntervalSince1970 * 1000)), "reason": "Công dân xin rút"])
            ],
            key: node.key, wallMilliseconds: { UInt64(Date().timeIntervalSince1970 * 1000) })
        try await sync.once()
        let state = try #require(try hub.database.dossier(code))
        #expect(state.hasOpenStatusConflict)
        #expect(state.status == .forwarded)
        let answer = try await Self.get(hub, "code=\(code)&id=6789")
        #expect(answer.status == 200)
        #expect(answer.json?["statusText"]?.stringValue == "Đang xử lý")
        #expect(answer.json?["status"]?.stringValue == "4")
        await hub.stop()
    }

    @Test func aPublishedCalendarReachesTheCommuneAndItsNextReceiptUsesIt() async throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let hub = try await LiveHub.start(directory: root.appendingPathComponent("hub"))
        let node = try LiveNode(directory: root.appendingPathComponent("xa-23059"))
        let sync = try await node.enroll(with: hub)
        let earlier = try node.receive(procedure: "1.001193")
        try await sync.once()
        let before = try #require(try node.database.dossier(earlier))
        #expect(before.calendarVersion == "2026.1")

        // Today and the next two working days become days off (a late-announced swap).
        let time = node.workflow.workingTime
        let off = Fixtures.workingDays(3, from: LocalDate(vietnamTimeOf: Int64(Date().timeIntervalSince1970 * 1000)), calendar: time.calendar)
        let content = try Fixtures.calendarFile(version: "2026.9-test", daysOff: off)
        let wall: () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
        // Bad input: a calendar that does not parse is refused and writes nothing.
        let events = try hub.database.eventCount()
        #expect(throws: StoreError.self) {
            try hub.service.publish(.calendar, content: Data("{\"calendar\": 1}".utf8), file: "bad.json", actor: "vh-hethong", wallMilliseconds: wall)
        }
        #expect(throws: StoreError.self) {
            try hub.service.publish(.calendar, content: content, file: "c.json", actor: "nobody", wallMilliseconds: wall)
        }
        #expect(try hub.database.eventCount() == events)

        guard
            case .published(let event, let nodes) = try hub.service.publish(
                .calendar, content: content, file: "c.json", actor: "vh-hethong", wallMilliseconds: wall)
        else {
            Issue.record("the calendar was not published")
            return
        }
        #expect(event.dossier == nil && event.type == "calendar.published" && nodes == 1)
        #expect(
            try hub.service.publish(.calendar, content: content, file: "c.json", actor: "vh-hethong", wallMilliseconds: wall)
                == .unchanged(version: "2026.9-test", event: "hub-597-\(event.seq)"))
        let other = try Fixtures.calendarFile(version: "2026.9-test")
        #expect(throws: StoreError.self) {
            try hub.service.publish(.calendar, content: other, file: "c.json", actor: "vh-hethong", wallMilliseconds: wall)
        }

        // Offline until now: the commune's receipts still use its file.
        #expect(try node.database.currentWorkflow(node.workflow).calendar.version == "2026.1")
        try await sync.once()
        #expect(try node.database.latestPublication(.calendar)?.version == "2026.9-test")
        let code = try node.receive(procedure: "1.001193")
        let after = try #require(try node.database.dossier(code))
        #expect(after.calendarVersion == "2026.9-test")
        let published = try WorkingCalendar.load(content, file: "c.json")
        #expect(after.appointment == WorkingTime(calendar: published).deadline(of: .workingDays(1), from: try #require(after.receivedAt)))
        #expect(after.appointment != time.deadline(of: .workingDays(1), from: try #require(after.receivedAt)))
        // The earlier dossier keeps its appointment.
        #expect(try node.database.dossier(earlier)?.appointment == before.appointment)
        #expect(try node.database.verify().isIntact)

        // A commune enrolled after the publication gets it with its first pull.
        let late = try LiveNode(directory: root.appendingPathComponent("xa-23062"), origin: "xa-23062", agency: "23062", office: "UBND thị trấn Phú Long")
        try await late.enroll(with: hub).once()
        #expect(try late.database.latestPublication(.calendar)?.version == "2026.9-test")
        #expect(try hub.contractProblems() == [])
        await hub.stop()
    }

    @Test func aPublishedCatalogueIsUsedByTheNextReceiptAndEarlierDossiersKeepTheirs() throws {
        let pair = try HubServiceTests.Pair()
        let tick = pair.ticker()
        let workflow = try Fixtures.workflow()
        let earlier = try pair.receive(workflow: workflow, tick: tick)
        // The allowance procedure (1.001776) shortened to 15 working days, as catalogue 2026.3.
        guard case .object(var catalogue) = try JSONParser.parse(Array(try Data(contentsOf: Fixtures.proceduresURL))),
            case .array(var procedures)? = catalogue["procedures"],
            let index = procedures.firstIndex(where: { $0["code"]?.stringValue == "1.001776" }), case .object(var allowance) = procedures[index]
        else {
            Issue.record("the shipped catalogue has no 1.001776")
            return
        }
        allowance["duration"] = ["kind": "workingDays", "value": 15]
        procedures[index] = .object(allowance)
        catalogue["procedures"] = .array(procedures)
        catalogue["version"] = "2026.3"
        let district = HubService(
            store: SQLiteHubStore(pair.hubDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology,
            workflow: try Fixtures.districtWorkflow())
        let outcome = try district.publish(
            .catalogue, content: Data(CanonicalJSON.encode(.object(catalogue))), file: "c.json", actor: "vh-hethong", wallMilliseconds: tick)
        guard case .published(let event, _) = outcome else {
            Issue.record("not published: \(outcome)")
            return
        }
        #expect(event.type == "catalogue.published")
        try pair.pull(from: district, tick: tick)
        let next = try pair.receive(workflow: workflow, tick: tick)
        let state = try #require(try pair.node.dossier(next))
        #expect(state.catalogueVersion == "2026.3")
        #expect(state.duration == .workingDays(15))
        let before = try #require(try pair.node.dossier(earlier))
        #expect(before.catalogueVersion == "2025.1")
        #expect(before.duration == .workingDays(20))
    }

    @Test func theLimitKeysIPv6ByItsSlash64AndSharesOneBucketWhenTheTableIsFull() {
        #expect(LookupLimiter.key("192.0.2.7") == "192.0.2.7")
        #expect(LookupLimiter.key("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(LookupLimiter.key("2001:db8:1:2:aaaa::1") == LookupLimiter.key("2001:db8:1:2:bbbb:cccc:dddd:eeee"))
        #expect(LookupLimiter.key("2001:db8:1:2::1") != LookupLimiter.key("2001:db8:1:3::1"))
        let limiter = LookupLimiter(perMinute: 2, maxClients: 2, clock: { 1_000_000 })
        #expect(limiter.take(client: "2001:db8:1:2::1") == nil)
        #expect(limiter.take(client: "2001:db8:1:2::ffff") == nil)
        #expect(limiter.take(client: "2001:db8:1:2::abcd") != nil)  // the same /64: its third lookup
        #expect(limiter.take(client: "192.0.2.1") == nil)  // the second client fills the table
        // Every further address shares the overflow bucket: two lookups between them, not two each.
        #expect(limiter.take(client: "192.0.2.2") == nil)
        #expect(limiter.take(client: "192.0.2.3") == nil)
        #expect(limiter.take(client: "192.0.2.4") != nil)
    }

    @Test func onlyTheHubPublishesAndNotDuringARecovery() throws {
        let pair = try HubServiceTests.Pair()
        let tick = pair.ticker()
        // A commune writing a calendar.published event of its own (no honest command does; the
        // node's log accepts any known type): the hub quarantines it and neither side uses it.
        let content = try JSONParser.parse(Array(try Fixtures.calendarFile(version: "2099.1-forged")))
        try pair.write([
            EventDraft(
                dossier: nil, type: "calendar.published", actor: "cb-tiepnhan-01",
                body: ["at": .integer(Int(pair.now)), "version": "2099.1-forged", "content": content])
        ])
        #expect(try pair.push(try pair.batch()).outcome == .stored)
        #expect(try pair.hubDatabase.quarantined().map(\.event.type) == ["calendar.published"])
        #expect(try pair.hubDatabase.latestPublication(.calendar) == nil)
        #expect(try pair.hub.pull(node: "xa-23059", since: 0, limit: 100, now: pair.now).entries.isEmpty)
        #expect(try pair.node.latestPublication(.calendar) == nil)
        #expect(try pair.node.currentWorkflow(try Fixtures.workflow()).calendar.version == "2026.1")

        // Restored from a backup, the hub waits for its communes: nothing published meanwhile.
        let district = HubService(
            store: SQLiteHubStore(pair.hubDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology,
            workflow: try Fixtures.districtWorkflow())
        try pair.hubDatabase.startHubRecovery(backup: "test", hub: "hub-597", now: pair.now)
        #expect(try pair.hubDatabase.hubRecovery()?.finishedAt == nil)
        let events = try pair.hubDatabase.eventCount()
        do {
            _ = try district.publish(
                .calendar, content: try Fixtures.calendarFile(version: "2026.5"), file: "c.json", actor: "vh-hethong", wallMilliseconds: tick)
            Issue.record("a hub in recovery published")
        } catch {
            guard case .refused(let reason)? = error as? StoreError else {
                Issue.record("refused for another reason: \(error)")
                return
            }
            #expect(reason.contains("xa-23059"))
        }
        #expect(try pair.hubDatabase.eventCount() == events)
    }

    @Test func aVersionNamesOneContentAcrossEveryEarlierPublication() throws {
        let pair = try HubServiceTests.Pair()
        let tick = pair.ticker()
        let district = HubService(
            store: SQLiteHubStore(pair.hubDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology,
            workflow: try Fixtures.districtWorkflow())
        func publish(_ version: String, _ daysOff: [LocalDate] = []) throws -> PublishOutcome {
            try district.publish(
                .calendar, content: try Fixtures.calendarFile(version: version, daysOff: daysOff), file: "c.json", actor: "vh-hethong", wallMilliseconds: tick)
        }
        guard case .published = try publish("v1"), case .published = try publish("v2") else {
            Issue.record("v1 and v2 were not published")
            return
        }
        // A file too large for one event: refused with the figure, nothing written.
        guard case .object(var huge) = try JSONParser.parse(Array(try Fixtures.calendarFile(version: "v3"))) else { return }
        huge["about"] = .string(String(repeating: "Lịch làm việc. ", count: 5_000))
        let events = try pair.hubDatabase.eventCount()
        do {
            _ = try district.publish(
                .calendar, content: Data(CanonicalJSON.encode(.object(huge))), file: "big.json", actor: "vh-hethong", wallMilliseconds: tick)
            Issue.record("a calendar too large for one event was published")
        } catch {
            #expect(error.description.contains("one event carries it"), "\(error)")
        }
        #expect(try pair.hubDatabase.eventCount() == events)
        // v1 again with other content, although v2 is the newest: refused.
        #expect(throws: StoreError.self) { try publish("v1", [LocalDate(iso: "2026-12-01")!]) }
        // v1 again with its own content makes it the newest again (a rollback).
        guard case .published = try publish("v1") else {
            Issue.record("v1 could not be published again")
            return
        }
        #expect(try pair.hubDatabase.latestPublication(.calendar)?.version == "v1")
    }

    @Test func aProvisionalPublishedCalendarMakesStatusWarn() throws {
        let pair = try HubServiceTests.Pair()
        let content = try Fixtures.calendarFile(version: "2026.9-provisional", provisional: 2026)
        let district = HubService(
            store: SQLiteHubStore(pair.hubDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology,
            workflow: try Fixtures.districtWorkflow())
        _ = try district.publish(.calendar, content: content, file: "c.json", actor: "vh-hethong", wallMilliseconds: pair.ticker())
        let page = try pair.pull(from: district, tick: pair.ticker())
        #expect(page.entries.map(\.event.type) == ["calendar.published"])
        let workflow = try pair.node.currentWorkflow(try Fixtures.workflow())
        #expect(workflow.calendar.version == "2026.9-provisional")
        let facts = try pair.node.statusFacts(now: pair.now, workingTime: workflow.workingTime)
        #expect(facts.provisionalYears == [2026])
        #expect(StatusReport.evaluate(facts, thresholds: StatusThresholds()).findings.contains { $0.code == "provisional-calendar" })
    }
}
