import Foundation
import LienThongCore
import LienThongTesting
import Testing

/// Named cases of DESIGN §3's rules, each folded in every delivery order of its events.
@Suite struct DossierFoldTests {
    static let code = "23059-261123-0001"
    static let minute: UInt64 = 60_000
    static let t0: UInt64 = 1_795_395_600_000

    /// Several origins writing one dossier, each with its own chain.
    struct Offices {
        var logs: [String: EventLogBuilder] = [:]
        var all: [Event] = []

        /// `events` and everything they depend on (their causal past), as the writer holds it.
        func view(_ events: [Event]) -> [Event] {
            var held = Dictionary(events.map { ("\($0.origin)-\($0.seq)", $0) }, uniquingKeysWith: { a, _ in a })
            var grew = true
            while grew {
                grew = false
                for event in all where held["\(event.origin)-\(event.seq)"] == nil {
                    let needed = held.values.contains { later in
                        (later.origin == event.origin && later.seq > event.seq) || (later.seen[event.origin] ?? 0) >= event.seq
                    }
                    if needed {
                        held["\(event.origin)-\(event.seq)"] = event
                        grew = true
                    }
                }
            }
            return Array(held.values)
        }

        /// Writes an event at `origin` at `hlc` (minutes after t0), having seen `after` (plus its own events).
        @discardableResult
        mutating func write(
            _ origin: String, _ type: String, at minutes: UInt64, after seenEvents: [Event] = [], body: JSONValue = [:], actor: String = "cb-tiepnhan-01"
        ) -> Event {
            var log = logs[origin] ?? EventLogBuilder(origin: origin)
            let own = all.filter { $0.origin == origin }
            var fields = body.objectValue ?? [:]
            fields["at"] = .integer(Int(t0 + minutes * minute))
            let draft = EventDraft(
                dossier: code, seen: DossierFold.seen(of: view(own + seenEvents)), type: type, actor: actor, body: .object(fields))
            let event = log.add(draft, hlc: HLC(physical: t0 + minutes * minute, counter: 0))
            logs[origin] = log
            all.append(event)
            return event
        }
    }

    static let receivedBody: JSONValue = [
        "procedure": ["code": "1.001193", "name": "Đăng ký khai sinh", "duration": ["kind": "workingDays", "value": 1], "steps": []],
        "applicant": ["name": "Nguyễn Văn An", "idNumber": "060090001234", "address": "thôn 1"], "contact": ["phone": "0912345678"],
    ]

    /// Folds `events` in many orders with duplicates and checks they all agree; returns the state.
    func foldEveryWay(_ events: [Event], seed: UInt64 = 1) -> DossierState {
        let reference = DossierFold.fold(code: Self.code, events: events)
        var random = SeededGenerator(seed: seed)
        for _ in 0..<20 {
            var delivered = events.shuffled(using: &random) + events.filter { _ in random.next() % 3 == 0 }
            delivered.shuffle(using: &random)
            #expect(DossierFold.fold(code: Self.code, events: delivered).stateHash == reference.stateHash)
        }
        return reference
    }

    @Test func withdrawalRequestAfterTheDistrictsDecisionChangesNoStatus() {
        var offices = Offices()
        let received = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let forwarded = offices.write("xa-23059", "dossier.forwarded", at: 10, body: ["to": "hub-597"])
        let accepted = offices.write("hub-597", "dossier.accepted", at: 20, after: [received, forwarded], actor: "cv-huyen-01")
        let decided = offices.write("hub-597", "dossier.resolved", at: 30, after: [received, forwarded, accepted], body: ["decision": "approved"])
        // The citizen asks to withdraw after the decision; the commune has seen it.
        offices.write("xa-23059", "dossier.withdrawalRequested", at: 40, after: [accepted, decided], body: ["reason": "đổi ý"])
        let state = foldEveryWay(offices.all)
        #expect(state.status == .resolved)
        #expect(state.owner == "hub-597")
        #expect(state.conflicts.isEmpty)
        #expect(state.requests.map(\.type) == ["dossier.withdrawalRequested"])
    }

    @Test func anEventFromAnOfficeThatNoLongerOwnsTheDossierIsAConflictWithOneIdEverywhere() {
        var offices = Offices()
        offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        offices.write("xa-23059", "dossier.forwarded", at: 10, body: ["to": "hub-597"])
        let late = offices.write("xa-23059", "dossier.handedOver", at: 20, body: ["to": "cb-tuphap-01"])
        let state = foldEveryWay(offices.all)
        #expect(state.status == .forwarded)
        #expect(state.conflicts.count == 1)
        let conflict = state.conflicts.first
        #expect(conflict?.id == "xa-23059-\(late.seq)")
        #expect(conflict?.owner == "hub-597")
        #expect(conflict?.standingEvent == "xa-23059-2")
        #expect(conflict?.reasonVietnamese.contains("không phải đơn vị đang giữ hồ sơ") == true)
        #expect(conflict?.reasonEnglish.contains("does not own") == true)
        #expect(state.hasOpenStatusConflict)
    }

    @Test func concurrentContactEditsKeepTheGreaterHLCAndLeaveARecord() {
        var offices = Offices()
        let received = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let commune = offices.write("xa-23059", "dossier.contactUpdated", at: 30, body: ["fields": ["phone": "0911111111"]])
        let hub = offices.write("hub-597", "dossier.contactUpdated", at: 20, after: [received], body: ["fields": ["phone": "0922222222"]])
        let state = foldEveryWay(offices.all)
        #expect(state.contact["phone"]?.value == "0911111111")
        #expect(state.contactOverwrites.count == 1)
        #expect(state.contactOverwrites.first?.kept == "xa-23059-\(commune.seq)")
        #expect(state.contactOverwrites.first?.overwritten == "hub-597-\(hub.seq)")
        #expect(state.conflicts.isEmpty)

        // A later edit that saw both replaces the value without a new record.
        offices.write("hub-597", "dossier.contactUpdated", at: 40, after: [commune], body: ["fields": ["phone": "0933333333"]])
        let after = foldEveryWay(offices.all)
        #expect(after.contact["phone"]?.value == "0933333333")
        #expect(after.contactOverwrites.count == 1)
    }

    @Test func equalClocksBreakTheContactTieByOrigin() {
        var offices = Offices()
        let received = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        offices.write("xa-23059", "dossier.contactUpdated", at: 30, body: ["fields": ["email": "a@example.vn"]])
        offices.write("hub-597", "dossier.contactUpdated", at: 30, after: [received], body: ["fields": ["email": "b@example.vn"]])
        // Same hlc: the greater origin ("xa-23059" > "hub-597") wins.
        #expect(foldEveryWay(offices.all).contact["email"]?.value == "a@example.vn")
    }

    @Test func aResolutionApplies() {
        var offices = Offices()
        let received = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let forwarded = offices.write("xa-23059", "dossier.forwarded", at: 10, body: ["to": "hub-597"])
        let wrong = offices.write("xa-23059", "dossier.resolved", at: 20, body: ["decision": "approved"])
        offices.write(
            "hub-597", "conflict.resolved", at: 30, after: [received, forwarded, wrong],
            body: ["conflict": .string("xa-23059-\(wrong.seq)"), "action": "apply", "note": "đồng ý"])
        let state = foldEveryWay(offices.all)
        #expect(state.conflicts.first?.resolution == .applied)
        #expect(state.status == .resolved)
        #expect(state.decision?.event == "xa-23059-\(wrong.seq)")
        #expect(!state.hasOpenStatusConflict)
    }

    @Test func aResolutionDismissesAndASecondOneIsIgnoredAndListed() {
        var offices = Offices()
        let received = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let forwarded = offices.write("xa-23059", "dossier.forwarded", at: 10, body: ["to": "hub-597"])
        let wrong = offices.write("xa-23059", "dossier.stopped", at: 20, body: ["reason": "nhầm"])
        let id = "xa-23059-\(wrong.seq)"
        let first = offices.write(
            "hub-597", "conflict.resolved", at: 30, after: [received, forwarded, wrong], body: ["conflict": .string(id), "action": "dismiss"])
        offices.write("hub-597", "conflict.resolved", at: 40, after: [first], body: ["conflict": .string(id), "action": "apply"])
        // Not authorised: the commune no longer owns the dossier and is no hub.
        offices.write("xa-23059", "conflict.resolved", at: 50, body: ["conflict": .string(id), "action": "apply"])
        let state = foldEveryWay(offices.all)
        #expect(state.conflicts.count == 1)
        #expect(state.conflicts.first?.resolution == .dismissed)
        #expect(state.status == .forwarded)
        #expect(state.ignoredResolutions.count == 2)
        #expect(state.ignoredResolutions.allSatisfy { !$0.obsolete })
    }

    @Test func aLateEventMakesAResolutionObsolete() {
        var offices = Offices()
        let a1 = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let a2 = offices.write("xa-23059", "dossier.forwarded", at: 10, body: ["to": "hub-597"])
        let h1 = offices.write("hub-597", "dossier.accepted", at: 20, after: [a1, a2])
        let h2 = offices.write("hub-597", "dossier.resolved", at: 30, after: [a1, a2, h1], body: ["decision": "approved"])
        let h3 = offices.write("hub-597", "dossier.resultSent", at: 40, after: [h2])
        // The commune hands the result over before it has the hub's resultSent.
        let a3 = offices.write("xa-23059", "dossier.returned", at: 50, after: [h1, h2])
        // The province operator, without h3, sees a3 as a conflict and dismisses it.
        let resolution = offices.write(
            "hub-68", "conflict.resolved", at: 60, after: [a1, a2, h1, h2, a3], body: ["conflict": .string("xa-23059-\(a3.seq)"), "action": "dismiss"])

        let operatorView = DossierFold.fold(code: Self.code, events: [a1, a2, h1, h2, a3, resolution])
        #expect(operatorView.conflicts.first?.resolution == .dismissed)
        #expect(operatorView.status == .resolved)

        // With h3 (earlier in the order), a3 was allowed: the conflict disappears, the resolution is obsolete.
        let state = foldEveryWay([a1, a2, h1, h2, h3, a3, resolution])
        #expect(state.conflicts.isEmpty)
        #expect(state.status == .returned)
        #expect(state.ignoredResolutions.first?.obsolete == true)
        #expect(state.ignoredResolutions.first?.event == "hub-68-1")
    }

    @Test func aCommuneEventNamingADecisionARestoredHubWroteAgainWaitsNotForTheHubsLaterEventAtThatSeq() {
        // Seed 9100445. Before a restore the hub wrote hub-597-1 (another dossier; no commune held
        // it), then -2 accepted and -3 resolved here; the commune's note names the old -3. The hub,
        // restored from a backup holding none of them, took -2 and -3 back and wrote them again at 1
        // and 2 (`replacesSeq`); its next event here, having seen the note, is again seq 3.
        func at(_ minutes: UInt64) -> HLC { HLC(physical: Self.t0 + minutes * Self.minute, counter: 0) }
        var commune = EventLogBuilder(origin: "xa-23059")
        let received = commune.add(
            EventDraft(dossier: Self.code, type: "dossier.received", actor: "cb-tiepnhan-01", body: Self.receivedBody), hlc: at(0))
        let forwarded = commune.add(
            EventDraft(dossier: Self.code, seen: ["xa-23059": 1], type: "dossier.forwarded", actor: "cb-tiepnhan-01", body: ["to": "hub-597"]),
            hlc: at(10))
        let note = commune.add(
            EventDraft(
                dossier: Self.code, seen: ["xa-23059": 2, "hub-597": 3], type: "dossier.note", actor: "cb-tiepnhan-01",
                body: ["text": "đã gọi điện cho công dân"]),
            hlc: at(40))
        var hub = EventLogBuilder(origin: "hub-597")
        hub.add(
            EventDraft(dossier: Self.code, seen: ["xa-23059": 2], type: "dossier.accepted", actor: "cv-huyen-01", body: ["replacesSeq": 2]),
            hlc: at(50))
        hub.add(
            EventDraft(
                dossier: Self.code, seen: ["xa-23059": 2, "hub-597": 1], type: "dossier.resolved", actor: "cv-huyen-01",
                body: ["decision": "approved", "replacesSeq": 3]),
            hlc: at(51))
        hub.add(
            EventDraft(dossier: Self.code, seen: ["xa-23059": 3, "hub-597": 2], type: "dossier.resultSent", actor: "cv-huyen-01"), hlc: at(60))
        let state = foldEveryWay([received, forwarded, note] + hub.events)
        #expect(state.waiting.isEmpty)
        #expect(state.history.map(\.event) == ["xa-23059-1", "xa-23059-2", "hub-597-1", "hub-597-2", "xa-23059-3", "hub-597-3"])
        #expect(state.conflicts.isEmpty)
        #expect(state.owner == "xa-23059")
    }

    @Test func aClockADayAheadCannotPutAReplyBeforeTheEventItAnswered() {
        var offices = Offices()
        let day: UInt64 = 24 * 60
        // The commune's clock runs a day ahead; the hub's reply has a smaller hlc but names the forward in `seen`.
        let received = offices.write("xa-23059", "dossier.received", at: day, body: Self.receivedBody)
        let forwarded = offices.write("xa-23059", "dossier.forwarded", at: day + 10, body: ["to": "hub-597"])
        let accepted = offices.write("hub-597", "dossier.accepted", at: 20, after: [received, forwarded])
        #expect(accepted.hlc < forwarded.hlc)
        let state = foldEveryWay(offices.all)
        #expect(state.conflicts.isEmpty)
        #expect(state.status == .processing)
        #expect(state.owner == "hub-597")
        #expect(state.history.map(\.event) == ["xa-23059-1", "xa-23059-2", "hub-597-1"])
    }

    @Test func anEventWaitsForAPredecessorItNamesAndAnUnknownTypeMarksTheDossier() {
        var offices = Offices()
        let received = offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let forwarded = offices.write("xa-23059", "dossier.forwarded", at: 10, body: ["to": "hub-597"])
        let accepted = offices.write("hub-597", "dossier.accepted", at: 20, after: [received, forwarded])
        offices.write("xa-23059", "dossier.futureThing", at: 30)
        // Without the forward, the hub's accept waits and nothing is a conflict.
        let partial = DossierFold.fold(code: Self.code, events: [received, accepted])
        #expect(partial.waiting == ["hub-597-1"])
        #expect(partial.conflicts.isEmpty)
        #expect(partial.status == .received)
        let state = foldEveryWay(offices.all)
        #expect(state.waiting.isEmpty)
        #expect(state.needsUpgrade == ["xa-23059-3"])
        #expect(state.status == .processing)
    }

    @Test func handOversAreEarlyOnTimeOrLate() {
        var offices = Offices()
        let hour: Int = 3_600_000
        let due = Int(Self.t0) + 2 * hour
        offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        // Step one: due in 2 hours, handed on after 1 hour the same day → on time.
        offices.write(
            "xa-23059", "dossier.handedOver", at: 0, body: ["to": "cb-tuphap-01", "step": ["id": "a", "name": "A", "hours": 2, "due": .integer(due)]])
        offices.write("xa-23059", "dossier.handedOver", at: 60, body: ["to": "ct-ubnd", "step": ["id": "b", "name": "B", "hours": 1, "due": .integer(due)]])
        // Step two: due at t0 + 2 h, done at t0 + 3 h → late.
        offices.write(
            "xa-23059", "dossier.handedOver", at: 180,
            body: ["to": "cb-tuphap-01", "step": ["id": "c", "name": "C", "hours": 8, "due": .integer(due + 24 * hour)]])
        // Step three: due the next day, done the same day → early.
        offices.write("xa-23059", "dossier.resolved", at: 200, body: ["decision": "approved"])
        let state = foldEveryWay(offices.all)
        #expect(state.handovers.map(\.outcome) == [.onTime, .late, .early])
    }
}

extension DossierFoldTests {
    @Test func theReplicaHashCoversEveryComparedDossierWhateverTheirOrder() {
        var offices = Offices()
        offices.write("xa-23059", "dossier.received", at: 0, body: Self.receivedBody)
        let received = DossierFold.fold(code: Self.code, events: offices.all)
        offices.write("xa-23059", "dossier.note", at: 5, body: ["text": "ghi chú"])
        let noted = DossierFold.fold(code: Self.code, events: offices.all)
        let other = DossierState(code: "23059-261123-0002")
        #expect(DossierState.replicaHash([received, other]) == DossierState.replicaHash([other, received]))
        #expect(DossierState.replicaHash([received, other]) != DossierState.replicaHash([noted, other]))
    }
}
