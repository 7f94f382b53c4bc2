/// The fold (DESIGN §3): a dossier's state as a pure function of its event set. It reads no clock,
/// no configuration and no randomness; whatever a rule needs, the writer put into the event.
///
/// Order: a topological order of the events (edges: each origin's seq order, and `seen`); among
/// the events ready at the same point, the smallest (hlc, origin, seq). An event whose `seen` names
/// an event this replica lacks waits. So every replica with the same events gets the same state,
/// and no clock offset can put a reply before the event it answered.
public enum DossierFold {
    /// `<origin>-<seq>`.
    public static func id(_ event: Event) -> String { id(origin: event.origin, seq: event.seq) }
    public static func id(origin: String, seq: Int) -> String { "\(origin)-\(seq)" }

    /// Folds `events` (any order, duplicates allowed) into the state of dossier `code`. Events of
    /// other dossiers are ignored.
    public static func fold(code: String, events: some Sequence<Event>) -> DossierState {
        foldWithSeen(code: code, events: events).state
    }

    /// The fold and, from the same ordering, the `seen` a writer puts in its next event.
    static func foldWithSeen(code: String, events: some Sequence<Event>) -> (state: DossierState, seen: [String: Int]) {
        let (ordered, waiting) = order(events.filter { $0.dossier == code })
        var state = DossierState(code: code)
        var byID: [String: Event] = [:]
        for event in ordered {
            byID[id(event)] = event
            apply(event, to: &state, lookup: byID)
        }
        state.waiting = waiting.map(id)
        return (state, seen(ofOrdered: ordered))
    }

    /// The events in fold order, and those waiting for a predecessor this set lacks (sorted by
    /// (hlc, origin, seq)). Duplicates collapse; of two different events with one identity (a fork),
    /// the one with the smaller hash is kept, so the choice does not depend on arrival order.
    public static func order(_ events: some Sequence<Event>) -> (ordered: [Event], waiting: [Event]) {
        var unique: [String: Event] = [:]
        for event in events {
            let key = id(event)
            if let held = unique[key], held.hash <= event.hash { continue }
            unique[key] = event
        }
        if PlantedBug.foldByHLCOnly.isActive { return (unique.values.sorted(by: precedes), []) }
        var seqsByOrigin: [String: [Int]] = [:]
        for event in unique.values { seqsByOrigin[event.origin, default: []].append(event.seq) }
        for origin in seqsByOrigin.keys { seqsByOrigin[origin]?.sort() }

        // A hub restored from a backup writes a decision it could not take back in order again, at
        // a new seq, naming the old one (`replacesSeq`): a `seen` naming the old seq is satisfied
        // by the rewrite, unless an event of this dossier holds that seq itself and did not see the
        // naming event. The hub's seqs go on from the rewrites, so its next event here may take the
        // old seq again; one that names the naming event in its own `seen` was written after it, so
        // the name meant the old event (taking it would be a cycle: both would wait for ever).
        var rewritten: [String: String] = [:]
        for (key, event) in unique {
            if let old = event.body["replacesSeq"]?.integerValue { rewritten[id(origin: event.origin, seq: old)] = key }
        }
        var pending: [String: Int] = [:]
        var dependents: [String: [String]] = [:]
        for (key, event) in unique {
            var deps: Set<String> = []
            if let seqs = seqsByOrigin[event.origin], let index = seqs.firstIndex(of: event.seq), index > 0 {
                deps.insert("\(event.origin)-\(seqs[index - 1])")
            }
            for (origin, seq) in event.seen where seq > 0 && !(origin == event.origin && seq >= event.seq) {
                let named = "\(origin)-\(seq)"
                if let rewrite = rewritten[named], rewrite != key,
                    unique[named].map({ ($0.seen[event.origin] ?? 0) >= event.seq }) ?? true
                {
                    deps.insert(rewrite)
                } else {
                    deps.insert(named)
                }
            }
            pending[key] = deps.count
            for dep in deps { dependents[dep, default: []].append(key) }
        }
        var ready = unique.filter { pending[$0.key] == 0 }.map(\.value)
        var ordered: [Event] = []
        ordered.reserveCapacity(unique.count)
        while !ready.isEmpty {
            var best = 0
            for index in 1..<ready.count where precedes(ready[index], ready[best]) { best = index }
            ready.swapAt(best, ready.count - 1)
            let next = ready.removeLast()
            ordered.append(next)
            for dependent in dependents[id(next)] ?? [] {
                pending[dependent, default: 0] -= 1
                if pending[dependent] == 0, let event = unique[dependent] { ready.append(event) }
            }
        }
        let placed = Set(ordered.map(id))
        let waiting = unique.values.filter { !placed.contains(id($0)) }.sorted(by: precedes)
        return (ordered, waiting)
    }

    /// The tie-break among ready events: smaller (hlc, origin, seq) first.
    public static func precedes(_ a: Event, _ b: Event) -> Bool {
        if a.hlc != b.hlc { return a.hlc < b.hlc }
        if a.origin != b.origin { return a.origin.utf8.lexicographicallyPrecedes(b.origin.utf8) }
        return a.seq < b.seq
    }

    /// The `seen` a writer puts in its next event on this dossier: for each origin, the highest seq
    /// among the events it holds that do not wait.
    public static func seen(of events: some Sequence<Event>) -> [String: Int] {
        seen(ofOrdered: order(events).ordered)
    }

    static func seen(ofOrdered ordered: [Event]) -> [String: Int] {
        var seen: [String: Int] = [:]
        for event in ordered { seen[event.origin] = max(seen[event.origin] ?? 0, event.seq) }
        return seen
    }

    /// When an event says it happened: its body's `at`, else its clock's physical time.
    public static func at(_ event: Event) -> Int64 {
        if let at = event.body["at"]?.integerValue { return Int64(at) }
        return Int64(event.hlc.physical)
    }

    static func apply(_ event: Event, to state: inout DossierState, lookup: [String: Event]) {
        let eventID = id(event)
        var step = DossierState.Step(event: eventID, type: event.type, origin: event.origin, actor: event.actor, at: at(event), result: .applied)
        defer { state.history.append(step) }
        guard event.v <= Event.currentVersion, EventType.known.contains(event.type) else {
            state.needsUpgrade.append(eventID)
            step.result = .needsUpgrade
            return
        }
        if event.type == "conflict.resolved" {
            step.result = resolve(event, in: &state, lookup: lookup)
            return
        }
        if let rejection = DossierRules.check(type: event.type, origin: event.origin, state: state)
            ?? checkBody(event)
        {
            state.conflicts.append(
                Conflict(
                    id: eventID, type: event.type, origin: event.origin, actor: event.actor, at: at(event), owner: state.owner ?? "",
                    status: state.status?.rawValue ?? "", standingEvent: state.standingEvent, reasonVietnamese: rejection.vietnamese,
                    reasonEnglish: rejection.english, resolution: .open))
            step.result = .conflict
            return
        }
        effect(event, on: &state)
    }

    /// The body fields an event's effect needs; a foreign event without them becomes a conflict.
    static func checkBody(_ event: Event) -> DossierRules.Rejection? {
        let missing: String? =
            switch event.type {
            case "dossier.forwarded": event.body["to"]?.stringValue == nil ? "to" : nil
            case "dossier.handedOver": event.body["to"]?.stringValue == nil ? "to" : nil
            case "dossier.resolved": event.body["decision"]?.stringValue == nil ? "decision" : nil
            case "dossier.received": event.body["procedure"]?.objectValue == nil ? "procedure" : nil
            default: nil
            }
        guard let missing else { return nil }
        return DossierRules.Rejection(
            vietnamese: "Sự kiện thiếu trường \"\(missing)\".", english: "the event's body has no \"\(missing)\"")
    }

    static func resolve(_ event: Event, in state: inout DossierState, lookup: [String: Event]) -> DossierState.Step.Result {
        let target = event.body["conflict"]?.stringValue ?? ""
        let action = event.body["action"]?.stringValue ?? ""
        func ignore(_ reason: String, obsolete: Bool = false) -> DossierState.Step.Result {
            state.ignoredResolutions.append(
                DossierState.IgnoredResolution(event: id(event), conflict: target, obsolete: obsolete, reason: reason))
            return obsolete ? .obsolete : .ignored
        }
        guard event.origin == state.owner || event.origin.hasPrefix("hub-") else {
            return ignore("\(event.origin) is neither the owner (\(state.owner ?? "none")) nor a hub operator")
        }
        guard action == "apply" || action == "dismiss" else { return ignore("action must be apply or dismiss, found \(action)") }
        guard let index = state.conflicts.firstIndex(where: { $0.id == target }) else {
            return ignore("conflict \(target) does not exist in this order (a late event changed it)", obsolete: true)
        }
        guard state.conflicts[index].isOpen else {
            return ignore("conflict \(target) was already resolved by \(state.conflicts[index].resolvedBy ?? "")")
        }
        state.conflicts[index].resolution = action == "apply" ? .applied : .dismissed
        state.conflicts[index].resolvedBy = id(event)
        state.conflicts[index].resolutionNote = event.body["note"]?.stringValue
        if action == "apply", let disputed = lookup[target], checkBody(disputed) == nil, disputed.type != "dossier.received" {
            effect(disputed, on: &state)
        }
        return .applied
    }

    /// Closes the open hand-over, if any, at `at`.
    static func closeHandover(at: Int64, by eventID: String, in state: inout DossierState) {
        guard let last = state.handovers.indices.last, state.handovers[last].completedAt == nil else { return }
        state.handovers[last].completedAt = at
        state.handovers[last].completedBy = eventID
    }

    static func openHandover(_ event: Event, step: JSONValue?, to actor: String, in state: inout DossierState) {
        guard let step else { return }
        state.handovers.append(
            DossierState.Handover(
                event: id(event), office: event.origin, fromActor: event.actor, toActor: actor, step: step["id"]?.stringValue ?? "",
                stepName: step["name"]?.stringValue ?? "", allottedHours: step["hours"]?.integerValue ?? 0, at: at(event),
                due: step["due"]?.integerValue.map(Int64.init)))
    }

    static func text(_ event: Event, _ key: String) -> String { event.body[key]?.stringValue ?? "" }

    /// What an event does once allowed (or applied by a resolution, skipping the check).
    static func effect(_ event: Event, on state: inout DossierState) {
        let eventID = id(event)
        let when = at(event)
        let body = event.body
        if DossierRules.changesStatus(event.type) { state.standingEvent = eventID }
        switch event.type {
        case "dossier.received":
            state.receivingOffice = event.origin
            state.owner = event.origin
            state.status = .received
            state.receivingAgency = text(event, "agency")
            state.officeName = text(event, "office")
            state.receivedAt = body["receivedAt"]?.integerValue.map(Int64.init) ?? when
            state.receivedBy = event.actor
            let procedure = body["procedure"]
            state.procedureCode = procedure?["code"]?.stringValue ?? ""
            state.procedureName = procedure?["name"]?.stringValue ?? ""
            state.catalogueVersion = procedure?["version"]?.stringValue ?? ""
            state.fieldCode = procedure?["field"]?["code"]?.stringValue ?? ""
            state.fieldName = procedure?["field"]?["name"]?.stringValue ?? ""
            state.decidingLevel = procedure?["decidingLevel"]?.stringValue ?? ""
            state.duration = ProcedureDuration(json: procedure?["duration"]) ?? .none
            state.supplementPolicy = (procedure?["supplement"]?.stringValue).flatMap(SupplementPolicy.init(rawValue:)) ?? .restart
            if case .array(let steps)? = procedure?["steps"] {
                state.steps = steps.map {
                    ProcedureStep(id: $0["id"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "", hours: $0["hours"]?.integerValue ?? 0)
                }
            }
            state.calendarVersion = text(event, "calendar")
            state.channel = text(event, "channel")
            let applicant = body["applicant"]
            state.applicant = DossierState.Applicant(
                name: applicant?["name"]?.stringValue ?? "", idNumber: applicant?["idNumber"]?.stringValue ?? "",
                address: applicant?["address"]?.stringValue ?? "")
            if case .object(let contact)? = body["contact"] {
                for (field, value) in contact {
                    if let value = value.stringValue {
                        state.contact[field] = DossierState.ContactValue(value: value, setBy: eventID, hlc: event.hlc, origin: event.origin, seq: event.seq)
                    }
                }
            }
            state.documents = strings(body["documents"])
            state.appointment = body["appointment"]?.integerValue.map(Int64.init)
            openHandover(event, step: body["step"], to: event.actor, in: &state)
        case "dossier.handedOver":
            closeHandover(at: when, by: eventID, in: &state)
            state.status = .processing
            openHandover(event, step: body["step"], to: text(event, "to"), in: &state)
        case "dossier.forwarded":
            closeHandover(at: when, by: eventID, in: &state)
            if let owner = state.owner { state.forwardedFrom.append(owner) }
            state.owner = text(event, "to")
            state.status = .forwarded
        case "dossier.accepted":
            state.owner = event.origin
            state.status = .processing
        case "dossier.supplementRequested":
            closeHandover(at: when, by: eventID, in: &state)
            state.status = .supplementRequested
            state.pausedRemaining = body["remaining"]?.integerValue
            state.supplementReason = text(event, "reason")
        case "dossier.supplementReceived":
            state.status = .processing
            state.appointment = body["appointment"]?.integerValue.map(Int64.init) ?? state.appointment
            state.pausedRemaining = nil
            openHandover(event, step: body["step"], to: body["to"]?.stringValue ?? event.actor, in: &state)
        case "dossier.extended":
            state.appointment = body["appointment"]?.integerValue.map(Int64.init) ?? state.appointment
            state.extensions.append(DossierState.Note(event: eventID, type: event.type, at: when, actor: event.actor, text: text(event, "reason")))
        case "dossier.stopped", "dossier.refused", "dossier.withdrawn":
            closeHandover(at: when, by: eventID, in: &state)
            state.status = event.type == "dossier.stopped" ? .stopped : event.type == "dossier.refused" ? .refusedAtReception : .withdrawn
            state.finishedAt = when
            state.decision = DossierState.Decision(event: eventID, approved: false, reason: text(event, "reason"), at: when, office: event.origin)
        case "dossier.resolved":
            closeHandover(at: when, by: eventID, in: &state)
            state.status = .resolved
            state.finishedAt = when
            state.decision = DossierState.Decision(
                event: eventID, approved: text(event, "decision") == "approved", reason: text(event, "reason"), at: when, office: event.origin)
        case "dossier.resultSent":
            closeHandover(at: when, by: eventID, in: &state)
            state.owner = state.receivingOffice
            state.forwardedFrom = []
        case "dossier.returnedToSender":
            closeHandover(at: when, by: eventID, in: &state)
            state.owner = state.forwardedFrom.popLast() ?? state.receivingOffice
            state.status = .processing
        case "dossier.returned":
            state.status = .returned
        case "dossier.withdrawalRequested", "dossier.supplementDelivered":
            state.requests.append(
                DossierState.Request(event: eventID, type: event.type, at: when, actor: event.actor, text: text(event, "reason")))
        case "dossier.recoded":
            // A healed fork re-issued the code (DESIGN §5): the citizen holds a receipt with the old
            // one. Open until the clerk settles it (prints a new receipt) with conflict.resolved.
            state.requests.append(
                DossierState.Request(event: eventID, type: event.type, at: when, actor: event.actor, text: text(event, "reason")))
            if !state.conflicts.contains(where: { $0.id == eventID }) {
                let from = text(event, "from")
                state.conflicts.append(
                    Conflict(
                        id: eventID, type: event.type, origin: event.origin, actor: event.actor, at: when, owner: state.owner ?? "",
                        status: state.status?.rawValue ?? "", standingEvent: state.standingEvent,
                        reasonVietnamese:
                            "Mã hồ sơ \(from) đã được cấp lại thành \(state.code) khi máy được khôi phục từ bản sao lưu: in lại giấy tiếp nhận cho công dân.",
                        reasonEnglish:
                            "the code \(from) was re-issued as \(state.code) when the machine was restored from a backup: print a new receipt for the citizen",
                        resolution: .open))
            }
        case "dossier.intakeUpdated":
            let fields = body["fields"]
            if let name = fields?["applicantName"]?.stringValue { state.applicant.name = name }
            if let number = fields?["idNumber"]?.stringValue { state.applicant.idNumber = number }
            if let address = fields?["address"]?.stringValue { state.applicant.address = address }
            if fields?["documents"] != nil { state.documents = strings(fields?["documents"]) }
        case "dossier.contactUpdated":
            guard case .object(let fields)? = body["fields"] else { break }
            for field in fields.keys.sorted() {
                guard let value = fields[field]?.stringValue else { continue }
                let incoming = DossierState.ContactValue(value: value, setBy: eventID, hlc: event.hlc, origin: event.origin, seq: event.seq)
                guard let held = state.contact[field] else {
                    state.contact[field] = incoming
                    continue
                }
                let causal = held.origin == event.origin ? held.seq < event.seq : (event.seen[held.origin] ?? 0) >= held.seq
                if causal {
                    state.contact[field] = incoming
                    continue
                }
                // Concurrent: the greater (hlc, origin) wins, and the overwrite stays on record.
                let incomingWins = held.hlc != event.hlc ? held.hlc < event.hlc : held.origin.utf8.lexicographicallyPrecedes(event.origin.utf8)
                let (kept, lost) = incomingWins ? (incoming, held) : (held, incoming)
                state.contact[field] = kept
                state.contactOverwrites.append(
                    DossierState.ContactOverwrite(
                        field: field, kept: kept.setBy, keptValue: kept.value, overwritten: lost.setBy, overwrittenValue: lost.value))
            }
        case "dossier.note", "dossier.attachment":
            let content = event.type == "dossier.note" ? text(event, "text") : text(event, "name")
            state.notes.append(DossierState.Note(event: eventID, type: event.type, at: when, actor: event.actor, text: content))
        default:
            break
        }
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap(\.stringValue)
    }
}
