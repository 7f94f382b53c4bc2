/// The writing side of the dossier workflow: turns what a clerk asks for into the event to append,
/// computing everything the fold will need (appointment, step deadlines, calendar and catalogue
/// versions) from this office's configuration and the current time, and refusing — before
/// anything is written — what the authority table or the input forbids.
public struct Workflow: Sendable {
    /// The office that writes: its origin, agency code and name.
    public var origin: String
    public var agencyCode: String
    public var officeName: String
    /// Staff ids that may act (every write names its actor).
    public var staff: Set<String>
    public var calendar: WorkingCalendar
    public var catalogue: ProcedureCatalogue
    public var topology: Topology?

    public init(
        origin: String, agencyCode: String, officeName: String, staff: Set<String>, calendar: WorkingCalendar, catalogue: ProcedureCatalogue,
        topology: Topology?
    ) {
        self.origin = origin
        self.agencyCode = agencyCode
        self.officeName = officeName
        self.staff = staff
        self.calendar = calendar
        self.catalogue = catalogue
        self.topology = topology
    }

    public var workingTime: WorkingTime { WorkingTime(calendar: calendar) }

    /// What the citizen hands in at the counter (tiếp nhận hồ sơ).
    public struct Intake: Sendable, Hashable {
        public var procedureCode: String
        public var applicantName: String
        public var idNumber: String
        public var phone: String
        public var email: String?
        public var address: String
        public var documents: [String]
        public var channel: Channel

        public init(
            procedureCode: String, applicantName: String, idNumber: String, phone: String, email: String? = nil, address: String,
            documents: [String], channel: Channel
        ) {
            self.procedureCode = procedureCode
            self.applicantName = applicantName
            self.idNumber = idNumber
            self.phone = phone
            self.email = email
            self.address = address
            self.documents = documents
            self.channel = channel
        }
    }

    /// A command on an existing dossier.
    public enum Command: Sendable, Hashable {
        /// Hand over to an officer for a step (chuyển xử lý); the step defaults to the next one.
        case process(to: String, step: String?)
        case requestSupplement(reason: String, documents: [String])
        case supplementReceived(to: String?)
        /// Forward (chuyển liên thông) to another agency, by its code in the topology.
        case forward(agency: String, reason: String)
        case accept
        case resolve(approved: Bool, reason: String)
        case sendResult
        case returnToSender(reason: String)
        /// Hand the result to the citizen (trả kết quả).
        case returnResult
        case withdraw(reason: String)
        case stop(reason: String)
        case refuse(reason: String)
        /// A new appointment with an apology (thư xin lỗi và hẹn lại ngày trả kết quả).
        case extend(until: LocalDate, reason: String)
        case requestWithdrawal(reason: String)
        case supplementDelivered(note: String)
        case updateContact(phone: String?, email: String?)
        case updateIntake(applicantName: String?, idNumber: String?, address: String?, documents: [String]?)
        case note(String)
        case resolveConflict(id: String, apply: Bool, note: String)

        /// The event type the command writes.
        public var eventType: String {
            switch self {
            case .process: "dossier.handedOver"
            case .requestSupplement: "dossier.supplementRequested"
            case .supplementReceived: "dossier.supplementReceived"
            case .forward: "dossier.forwarded"
            case .accept: "dossier.accepted"
            case .resolve: "dossier.resolved"
            case .sendResult: "dossier.resultSent"
            case .returnToSender: "dossier.returnedToSender"
            case .returnResult: "dossier.returned"
            case .withdraw: "dossier.withdrawn"
            case .stop: "dossier.stopped"
            case .refuse: "dossier.refused"
            case .extend: "dossier.extended"
            case .requestWithdrawal: "dossier.withdrawalRequested"
            case .supplementDelivered: "dossier.supplementDelivered"
            case .updateContact: "dossier.contactUpdated"
            case .updateIntake: "dossier.intakeUpdated"
            case .note: "dossier.note"
            case .resolveConflict: "conflict.resolved"
            }
        }
    }

    // MARK: Receiving

    /// Checks an intake before a code is allocated, so bad input costs no code.
    public func check(_ intake: Intake, actor: String) throws(WorkflowError) -> Procedure {
        try checkActor(actor)
        guard let procedure = catalogue.procedure(code: intake.procedureCode) else {
            let known = catalogue.procedures.map(\.code).joined(separator: ", ")
            throw .invalidInput(field: "--procedure", expected: "a procedure code of catalogue \(catalogue.version) (\(known))", found: intake.procedureCode)
        }
        try require(intake.applicantName, field: "--applicant", expected: "the applicant's full name")
        try require(intake.address, field: "--address", expected: "the applicant's address")
        try checkIDNumber(intake.idNumber)
        let phoneDigits = intake.phone.unicodeScalars.filter { $0 != " " && $0 != "." }
        guard phoneDigits.allSatisfy({ ("0"..."9").contains($0) || $0 == "+" }), (9...13).contains(phoneDigits.count) else {
            throw .invalidInput(field: "--phone", expected: "a phone number of 9 to 13 digits, such as 0912345678", found: intake.phone)
        }
        guard !intake.documents.isEmpty, intake.documents.allSatisfy({ !$0.trimmed.isEmpty }) else {
            throw .invalidInput(field: "--document", expected: "at least one document handed in (repeat --document for each)", found: "")
        }
        return procedure
    }

    /// The `dossier.received` event for a checked intake under the allocated `code`.
    public func receive(_ intake: Intake, code: String, actor: String, now: Int64) throws(WorkflowError) -> EventDraft {
        let procedure = try check(intake, actor: actor)
        let duration = procedure.duration(for: intake.channel)
        let appointment = workingTime.deadline(of: duration, from: now)
        var contact: [String: JSONValue] = ["phone": .string(intake.phone.trimmed)]
        if let email = intake.email, !email.trimmed.isEmpty { contact["email"] = .string(email.trimmed) }
        let body: JSONValue = [
            "at": .integer(Int(now)),
            "receivedAt": .integer(Int(now)),
            "agency": .string(agencyCode),
            "office": .string(officeName),
            "channel": .string(intake.channel.rawValue),
            "procedure": [
                "code": .string(procedure.code), "name": .string(procedure.name), "version": .string(catalogue.version),
                "field": ["code": .string(procedure.fieldCode), "name": .string(procedure.fieldName)],
                "decidingLevel": .string(procedure.decidingLevel.rawValue), "duration": duration.json,
                "supplement": .string(procedure.supplement.rawValue),
                "steps": .array(procedure.steps.map { ["id": .string($0.id), "name": .string($0.name), "hours": .integer($0.hours)] }),
            ],
            "applicant": ["name": .string(intake.applicantName.trimmed), "idNumber": .string(intake.idNumber), "address": .string(intake.address.trimmed)],
            "contact": .object(contact),
            "documents": .array(intake.documents.map { .string($0.trimmed) }),
            "appointment": appointment.map { .integer(Int($0)) } ?? .null,
            "calendar": .string(calendar.version),
            "step": stepJSON(procedure.steps[0], from: now),
        ]
        return EventDraft(dossier: code, seen: [:], type: "dossier.received", actor: actor, body: body)
    }

    // MARK: Commands on a dossier

    /// The event for `command` on the dossier whose events are `events`, or an error naming what
    /// is wrong; the authority table is checked against the folded state first.
    public func draft(_ command: Command, code: String, events: [Event], actor: String, now: Int64) throws(WorkflowError) -> EventDraft {
        try checkActor(actor)
        guard !events.isEmpty else { throw .unknownDossier(code) }
        let (state, seen) = DossierFold.foldWithSeen(code: code, events: events)
        let type = command.eventType
        if type != "conflict.resolved", let rejection = DossierRules.check(type: type, origin: origin, state: state) {
            throw .forbidden(rejection)
        }
        var body: [String: JSONValue] = ["at": .integer(Int(now))]
        let tool = workingTime
        switch command {
        case .process(let to, let stepID):
            try checkStaff(to, field: "--to")
            let step = try nextStep(stepID, state: state)
            body["to"] = .string(to)
            body["step"] = stepJSON(step, from: now)
        case .requestSupplement(let reason, let documents):
            try require(reason, field: "--reason", expected: "what is missing, as the citizen will read it")
            body["reason"] = .string(reason.trimmed)
            body["documents"] = .array(documents.map { .string($0.trimmed) })
            // What is left of the deadline that judges the dossier: an extension (Mẫu 04) gave the
            // citizen a later date but does not lengthen the time the procedure allows.
            if state.supplementPolicy == .pause,
                let deadline = DossierTimeline(state, events: events)?.deadlines.last?.deadline ?? state.appointment
            {
                body["remaining"] = .integer(tool.remaining(of: state.duration, deadline: deadline, at: now))
            }
        case .supplementReceived(let to):
            if let to { try checkStaff(to, field: "--to") }
            let appointment: Int64? =
                state.supplementPolicy == .pause && state.pausedRemaining != nil
                ? tool.resume(state.duration, remaining: state.pausedRemaining ?? 0, from: now)
                : tool.deadline(of: state.duration, from: now)
            body["appointment"] = appointment.map { .integer(Int($0)) } ?? .null
            body["calendar"] = .string(calendar.version)
            body["to"] = .string(to ?? actor)
            let lastStep = state.handovers.last?.step
            if let step = state.steps.first(where: { $0.id == lastStep }) ?? state.steps.first {
                body["step"] = stepJSON(step, from: now)
            }
        case .forward(let agency, let reason):
            guard let topology, let target = topology.agency(code: agency) else {
                let choices = topology?.agencies.filter { $0.code != agencyCode && $0.level != "commune" }.map(\.code).joined(separator: ", ") ?? ""
                throw .invalidInput(field: "--to", expected: "an agency code of the topology (\(choices))", found: agency)
            }
            guard target.origin != origin else {
                throw .invalidInput(field: "--to", expected: "another office than this one", found: agency)
            }
            body["to"] = .string(target.origin)
            body["toAgency"] = .string(target.code)
            body["toName"] = .string(target.name)
            body["reason"] = .string(reason.trimmed)
        case .accept, .sendResult, .returnResult:
            break
        case .resolve(let approved, let reason):
            if !approved { try require(reason, field: "--reason", expected: "the reason for the refusal, as the citizen will read it") }
            body["decision"] = .string(approved ? "approved" : "refused")
            body["reason"] = .string(reason.trimmed)
        case .returnToSender(let reason), .withdraw(let reason), .stop(let reason), .refuse(let reason), .requestWithdrawal(let reason):
            try require(reason, field: "--reason", expected: "the reason, as the citizen will read it")
            body["reason"] = .string(reason.trimmed)
        case .extend(let until, let reason):
            try require(reason, field: "--reason", expected: "the reason for the delay, as the apology letter will state it")
            let today = LocalDate(vietnamTimeOf: now)
            guard until > today, calendar.isWorkingDay(until) else {
                throw .invalidInput(field: "--until", expected: "a working day after today (\(today.iso))", found: until.iso)
            }
            if let appointment = state.appointment, until <= LocalDate(vietnamTimeOf: appointment) {
                throw .invalidInput(
                    field: "--until", expected: "a date after the current appointment (\(LocalDate(vietnamTimeOf: appointment).iso))", found: until.iso)
            }
            body["appointment"] = .integer(Int(until.milliseconds(atMinute: calendar.officeHours[calendar.officeHours.count - 1].to)))
            body["reason"] = .string(reason.trimmed)
            body["calendar"] = .string(calendar.version)
        case .supplementDelivered(let note):
            try require(note, field: "--note", expected: "which papers the citizen brought")
            body["reason"] = .string(note.trimmed)
        case .updateContact(let phone, let email):
            var fields: [String: JSONValue] = [:]
            if let phone { fields["phone"] = .string(phone.trimmed) }
            if let email { fields["email"] = .string(email.trimmed) }
            guard !fields.isEmpty else { throw .invalidInput(field: "--phone/--email", expected: "at least one contact field to change", found: "") }
            body["fields"] = .object(fields)
        case .updateIntake(let name, let idNumber, let address, let documents):
            var fields: [String: JSONValue] = [:]
            if let name {
                try require(name, field: "--applicant", expected: "the applicant's full name")
                fields["applicantName"] = .string(name.trimmed)
            }
            if let idNumber {
                try checkIDNumber(idNumber)
                fields["idNumber"] = .string(idNumber)
            }
            if let address {
                try require(address, field: "--address", expected: "the applicant's address")
                fields["address"] = .string(address.trimmed)
            }
            if let documents { fields["documents"] = .array(documents.map { .string($0.trimmed) }) }
            guard !fields.isEmpty else {
                throw .invalidInput(field: "--applicant/--id-number/--address/--document", expected: "at least one field to change", found: "")
            }
            body["fields"] = .object(fields)
        case .note(let text):
            try require(text, field: "--text", expected: "the note's text")
            body["text"] = .string(text.trimmed)
        case .resolveConflict(let id, let apply, let note):
            guard origin == state.owner || origin.hasPrefix("hub-") else {
                throw .forbidden(
                    DossierRules.Rejection(
                        vietnamese: "Chỉ đơn vị đang giữ hồ sơ (\(state.owner ?? "")) hoặc quản trị hub mới được xử lý xung đột.",
                        english: "only the owner (\(state.owner ?? "")) or a hub operator may resolve a conflict"))
            }
            guard let conflict = state.conflicts.first(where: { $0.id == id }), conflict.isOpen else {
                let open = state.openConflicts.map(\.id).joined(separator: ", ")
                throw .invalidInput(field: "conflict id", expected: "an open conflict of \(code) (\(open.isEmpty ? "none is open" : open))", found: id)
            }
            try require(note, field: "--note", expected: "why the conflict is settled this way")
            body["conflict"] = .string(id)
            body["action"] = .string(apply ? "apply" : "dismiss")
            body["note"] = .string(note.trimmed)
        }
        return EventDraft(dossier: code, seen: seen, type: type, actor: actor, body: .object(body))
    }

    // MARK: Helpers

    func stepJSON(_ step: ProcedureStep, from now: Int64) -> JSONValue {
        let due = workingTime.adding(workingMinutes: step.hours * 60, to: now)
        return ["id": .string(step.id), "name": .string(step.name), "hours": .integer(step.hours), "due": .integer(Int(due))]
    }

    func nextStep(_ requested: String?, state: DossierState) throws(WorkflowError) -> ProcedureStep {
        let choices = state.steps.map(\.id).joined(separator: ", ")
        if let requested {
            guard let step = state.steps.first(where: { $0.id == requested }) else {
                throw .invalidInput(field: "--step", expected: "a step of procedure \(state.procedureCode) (\(choices))", found: requested)
            }
            return step
        }
        let current = state.handovers.last?.step
        if let index = state.steps.firstIndex(where: { $0.id == current }), index + 1 < state.steps.count { return state.steps[index + 1] }
        guard let last = state.steps.last else {
            throw .invalidInput(field: "--step", expected: "a step (the procedure lists none)", found: "")
        }
        return last
    }

    func checkIDNumber(_ number: String) throws(WorkflowError) {
        guard number.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), [9, 12].contains(number.count) else {
            throw .invalidInput(field: "--id-number", expected: "a 12-digit citizen ID (CCCD) or a 9-digit ID card number", found: number)
        }
    }

    func checkActor(_ actor: String) throws(WorkflowError) {
        try checkStaff(actor, field: "--actor")
    }

    func checkStaff(_ id: String, field: String) throws(WorkflowError) {
        guard staff.contains(id) else {
            throw .invalidInput(field: field, expected: "a staff id of this office (\(staff.sorted().joined(separator: ", ")))", found: id)
        }
    }

    func require(_ text: String, field: String, expected: String) throws(WorkflowError) {
        guard !text.trimmed.isEmpty else { throw .invalidInput(field: field, expected: expected, found: "") }
    }
}

extension String {
    var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
