/// What the reports need of one dossier, read from its events in the fold's order: when it was
/// received and how, which deadline was in force at any instant, and when and how its processing
/// finished. Pure: the same events give the same timeline at a commune and at the hub, so a report
/// computed from it is the same there too.
///
/// The deadline that judges a dossier (hạn giải quyết) is the appointment given at intake, or the
/// one recomputed when a supplement was received (the clock paused or restarted, as the procedure
/// says). An extension with an apology (Mẫu 04) gives the citizen a new date but does not move the
/// deadline: the apology is written because the office is late, and the dossier still counts as late
/// if it is resolved after the deadline. While a supplement request waits for the citizen, the clock
/// is stopped and the dossier is within time.
public struct DossierTimeline: Sendable, Hashable {
    /// How processing ended.
    public enum Finish: String, Sendable, Hashable {
        /// A decision (dossier.resolved), approved or not.
        case resolved
        /// Refused at the counter (dossier.refused).
        case refused
        /// Stopped and handed back (dossier.stopped: dừng xử lý, trả lại hồ sơ).
        case stopped
        /// Withdrawn at the citizen's request (dossier.withdrawn).
        case withdrawn

        /// Whether the 06a report counts the dossier as on time whatever the date: returned and
        /// withdrawn dossiers are (Biểu II.06a, "đúng hạn" includes them).
        public var countsOnTime: Bool { self != .resolved }
    }

    /// A change of the deadline in force, at `at`.
    public struct DeadlineChange: Sendable, Hashable {
        public var at: Int64
        /// The deadline from then on; nil for a procedure without one.
        public var deadline: Int64?
        /// Whether the clock is stopped (a supplement request waits for the citizen).
        public var paused: Bool
    }

    public var code: String
    /// The receiving office's origin (the commune the dossier belongs to in reports).
    public var receivingOffice: String
    public var officeName: String
    public var agency: String
    public var fieldCode: String
    public var fieldName: String
    public var procedureCode: String
    public var procedureName: String
    public var channel: Channel?
    public var receivedAt: Int64
    /// In the order they applied; the first is the intake's.
    public var deadlines: [DeadlineChange]
    /// The appointment after the last extension, if any (what the citizen was last told).
    public var extendedTo: Int64?
    /// How and when processing finished, if it has.
    public var finish: Finished?

    public struct Finished: Sendable, Hashable {
        public var kind: Finish
        public var at: Int64
        /// The deadline in force when it finished: the last change before it in the fold's order.
        public var deadline: DeadlineChange
    }

    /// The timeline of dossier `code` from its events, or nil when no `dossier.received` applied.
    public init?(code: String, events: [Event]) {
        self.init(DossierFold.fold(code: code, events: events), events: events)
    }

    /// The timeline of a folded dossier; `events` are the ones it was folded from (for their bodies).
    public init?(_ state: DossierState, events: [Event]) {
        guard let receiving = state.receivingOffice, let receivedAt = state.receivedAt else { return nil }
        code = state.code
        receivingOffice = receiving
        officeName = state.officeName
        agency = state.receivingAgency
        fieldCode = state.fieldCode
        fieldName = state.fieldName
        procedureCode = state.procedureCode
        procedureName = state.procedureName
        channel = Channel(rawValue: state.channel)
        self.receivedAt = receivedAt
        deadlines = []
        var byID: [String: Event] = [:]
        for event in events { byID[DossierFold.id(event)] = event }
        // The fold's applied steps in its order, with the effects it gave them: a conflict applied
        // by a resolution takes effect there (as the fold has it, never a disputed intake or an
        // event lacking what its effect needs). Times never go backwards along that order, so an
        // office whose clock was behind cannot put a finish before the change it followed.
        var clock = receivedAt
        for step in state.history {
            guard step.result == .applied, var event = byID[step.event] else { continue }
            if event.type == "conflict.resolved" {
                guard event.body["action"]?.stringValue == "apply", let target = event.body["conflict"]?.stringValue,
                    let disputed = byID[target], disputed.type != "dossier.received", DossierFold.checkBody(disputed) == nil
                else { continue }
                event = disputed
            }
            clock = max(clock, DossierFold.at(event))
            apply(event, at: clock)
        }
        if deadlines.isEmpty { deadlines = [DeadlineChange(at: receivedAt, deadline: state.appointment, paused: false)] }
    }

    private mutating func apply(_ event: Event, at: Int64) {
        let body = event.body
        switch event.type {
        case "dossier.received":
            deadlines.append(DeadlineChange(at: at, deadline: body["appointment"]?.integerValue.map(Int64.init), paused: false))
        case "dossier.supplementRequested":
            deadlines.append(DeadlineChange(at: at, deadline: deadlines.last?.deadline, paused: true))
        case "dossier.supplementReceived":
            let deadline = body["appointment"]?.integerValue.map(Int64.init) ?? deadlines.last?.deadline
            deadlines.append(DeadlineChange(at: at, deadline: deadline, paused: false))
        case "dossier.extended":
            extendedTo = body["appointment"]?.integerValue.map(Int64.init) ?? extendedTo
        // The last finishing effect stands, as the fold's status and finishedAt do.
        case "dossier.resolved": finished(.resolved, at: at)
        case "dossier.refused": finished(.refused, at: at)
        case "dossier.stopped": finished(.stopped, at: at)
        case "dossier.withdrawn": finished(.withdrawn, at: at)
        default: break
        }
    }

    private mutating func finished(_ kind: Finish, at: Int64) {
        guard let deadline = deadlines.last else { return }
        finish = Finished(kind: kind, at: at, deadline: deadline)
    }

    /// The deadline in force just before `instant`: the last change made before it (a change at the
    /// instant itself counts only if it is the intake).
    public func deadline(before instant: Int64) -> DeadlineChange {
        var current = deadlines[0]
        for change in deadlines.dropFirst() where change.at < instant { current = change }
        return current
    }

    /// Whether processing had finished before `instant`.
    public func finished(before instant: Int64) -> Bool {
        guard let finish else { return false }
        return finish.at < instant
    }
}
