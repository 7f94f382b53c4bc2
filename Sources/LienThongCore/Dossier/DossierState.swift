/// A dossier (hồ sơ): one citizen's application for one administrative procedure, as the fold of
/// its events leaves it (DESIGN §3). A value: every replica holding the same events computes an
/// equal state, and ``stateHash`` proves it.
public struct DossierState: Sendable, Hashable {
    /// An event's identity as the fold reports it: `<origin>-<seq>`.
    public typealias EventID = String

    /// The citizen's details given at intake (owner-only edits).
    public struct Applicant: Sendable, Hashable {
        public var name: String
        public var idNumber: String
        public var address: String
    }

    /// A contact detail (phone, email) and the event that set it: per field, the greatest
    /// (hlc, origin) wins.
    public struct ContactValue: Sendable, Hashable {
        public var value: String
        public var setBy: EventID
        public var hlc: HLC
        public var origin: String
        public var seq: Int
    }

    /// A visible record of a concurrent contact overwrite, resolved automatically.
    public struct ContactOverwrite: Sendable, Hashable {
        public var field: String
        public var kept: EventID
        public var keptValue: String
        public var overwritten: EventID
        public var overwrittenValue: String
    }

    /// One hand-over (bàn giao) to an officer for a step, with its allotted time and outcome.
    public struct Handover: Sendable, Hashable {
        public enum Outcome: String, Sendable, Hashable {
            case early, onTime, late

            /// As the control slip prints it.
            public var vietnamese: String {
                switch self {
                case .early: "Trước hạn"
                case .onTime: "Đúng hạn"
                case .late: "Quá hạn"
                }
            }
        }
        public var event: EventID
        public var office: String
        public var fromActor: String
        public var toActor: String
        public var step: String
        public var stepName: String
        public var allottedHours: Int
        public var at: Int64
        public var due: Int64?
        public var completedAt: Int64?
        public var completedBy: EventID?

        /// Early when finished on an earlier day than due, late when finished after the due
        /// instant, on time otherwise; nil while open or when the step had no allotted time.
        public var outcome: Outcome? {
            guard let completedAt, let due else { return nil }
            if completedAt > due { return .late }
            if LocalDate(vietnamTimeOf: completedAt) < LocalDate(vietnamTimeOf: due) { return .early }
            return .onTime
        }
    }

    /// A request the receiving office recorded for the owner to act on (a withdrawal request, or
    /// supplementary papers the citizen brought to the counter); it changes no status.
    public struct Request: Sendable, Hashable {
        public var event: EventID
        public var type: String
        public var at: Int64
        public var actor: String
        public var text: String
    }

    /// A note or attachment reference.
    public struct Note: Sendable, Hashable {
        public var event: EventID
        public var type: String
        public var at: Int64
        public var actor: String
        public var text: String
    }

    /// The decision of the deciding office.
    public struct Decision: Sendable, Hashable {
        public var event: EventID
        public var approved: Bool
        public var reason: String
        public var at: Int64
        public var office: String
    }

    /// One event's place in the fold, for the dossier's history.
    public struct Step: Sendable, Hashable {
        public enum Result: String, Sendable, Hashable {
            case applied, conflict, ignored, obsolete, needsUpgrade
        }
        public var event: EventID
        public var type: String
        public var origin: String
        public var actor: String
        public var at: Int64
        public var result: Result
    }

    /// A resolution the fold did not apply: unauthorised, a second one, or obsolete because its
    /// conflict disappeared after a late event changed the order. Kept and listed, never a new
    /// conflict.
    public struct IgnoredResolution: Sendable, Hashable {
        public var event: EventID
        public var conflict: String
        public var obsolete: Bool
        public var reason: String
    }

    public var code: String
    /// The office (origin) that received the dossier and owns the result-return step.
    public var receivingOffice: String?
    public var receivingAgency: String = ""
    public var officeName: String = ""
    /// The office (origin) that may change the dossier's status now: one owner at a time.
    public var owner: String?
    /// The event that last changed the owner or the status: the other side of a conflict.
    public var standingEvent: EventID = ""
    /// Offices that forwarded the dossier onwards, innermost last (where a return goes back to).
    public var forwardedFrom: [String] = []
    /// nil until `dossier.received` is folded.
    public var status: DossierStatus?
    public var procedureCode: String = ""
    public var procedureName: String = ""
    public var catalogueVersion: String = ""
    public var fieldCode: String = ""
    public var fieldName: String = ""
    public var decidingLevel: String = ""
    public var duration: ProcedureDuration = .none
    public var supplementPolicy: SupplementPolicy = .restart
    public var steps: [ProcedureStep] = []
    public var calendarVersion: String = ""
    public var channel: String = ""
    public var applicant = Applicant(name: "", idNumber: "", address: "")
    public var contact: [String: ContactValue] = [:]
    public var contactOverwrites: [ContactOverwrite] = []
    public var documents: [String] = []
    public var receivedAt: Int64?
    public var receivedBy: String = ""
    /// The appointment (hẹn trả kết quả), Unix ms; nil for procedures without one.
    public var appointment: Int64?
    /// Working minutes or calendar days left when a supplement request paused the clock.
    public var pausedRemaining: Int?
    public var supplementReason: String?
    public var extensions: [Note] = []
    public var decision: Decision?
    public var handovers: [Handover] = []
    public var requests: [Request] = []
    public var notes: [Note] = []
    public var conflicts: [Conflict] = []
    public var ignoredResolutions: [IgnoredResolution] = []
    /// Events of a type or version this replica does not understand: stored, not folded.
    public var needsUpgrade: [EventID] = []
    /// Events that wait for a predecessor named in their `seen` that this replica lacks.
    public var waiting: [EventID] = []
    public var history: [Step] = []
    /// When the dossier's processing finished (decision, refusal, stop or withdrawal).
    public var finishedAt: Int64?

    public init(code: String) { self.code = code }

    /// Whether a conflict over a status change is open: the dossier shows "đang có xung đột".
    public var hasOpenStatusConflict: Bool {
        conflicts.contains { $0.isOpen && $0.affectsStatus }
    }

    public var openConflicts: [Conflict] { conflicts.filter(\.isOpen) }

    /// Whether the dossier is past its appointment at `now` and not finished.
    public func isOverdue(at now: Int64) -> Bool {
        DossierStatus.isOverdue(status, appointment: appointment, at: now)
    }
}
