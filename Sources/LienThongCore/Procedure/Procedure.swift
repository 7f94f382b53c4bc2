import Foundation

/// How long an administrative procedure (thủ tục hành chính) may take, as the catalogue states it.
public enum ProcedureDuration: Sendable, Hashable, CustomStringConvertible {
    /// Working days of 8 working hours.
    case workingDays(Int)
    /// Working hours, for same-day procedures.
    case workingHours(Int)
    /// Calendar days; a deadline on a day off moves to the next working day.
    case calendarDays(Int)
    /// No appointment is given.
    case none

    public var kind: String {
        switch self {
        case .workingDays: "workingDays"
        case .workingHours: "workingHours"
        case .calendarDays: "calendarDays"
        case .none: "none"
        }
    }

    public var value: Int? {
        switch self {
        case .workingDays(let n), .workingHours(let n), .calendarDays(let n): n
        case .none: nil
        }
    }

    /// As events store it: `{"kind": …, "value": …}`.
    public var json: JSONValue {
        if let value { return ["kind": .string(kind), "value": .integer(value)] }
        return ["kind": .string(kind)]
    }

    public init?(kind: String, value: Int?) {
        switch (kind, value) {
        case ("workingDays", let n?) where n >= 0 && n <= 3650: self = .workingDays(n)
        case ("workingHours", let n?) where n >= 0 && n <= 29200: self = .workingHours(n)
        case ("calendarDays", let n?) where n >= 0 && n <= 3650: self = .calendarDays(n)
        case ("none", nil): self = .none
        default: return nil
        }
    }

    public init?(json: JSONValue?) {
        guard let kind = json?["kind"]?.stringValue else { return nil }
        self.init(kind: kind, value: json?["value"]?.integerValue)
    }

    /// In Vietnamese, as receipts print it: "3 ngày làm việc".
    public var description: String {
        switch self {
        case .workingDays(let n): "\(n) ngày làm việc"
        case .workingHours(let n): "\(n) giờ làm việc"
        case .calendarDays(let n): "\(n) ngày"
        case .none: "không hẹn trả"
        }
    }
}

/// The level that decides a procedure: the commune itself, or an office it forwards to.
public enum DecidingLevel: String, Sendable, Hashable, CaseIterable {
    case commune, district, province
}

/// What a supplement request (yêu cầu bổ sung) does to the deadline.
public enum SupplementPolicy: String, Sendable, Hashable, CaseIterable {
    /// The clock stops while the office waits for the papers and resumes with what was left.
    case pause
    /// The clock starts again, in full, from when the complete dossier is received.
    case restart
}

/// One step of a procedure with its allotted working hours.
public struct ProcedureStep: Sendable, Hashable {
    public var id: String
    public var name: String
    public var hours: Int

    public init(id: String, name: String, hours: Int) {
        self.id = id
        self.name = name
        self.hours = hours
    }
}

/// An administrative procedure (thủ tục hành chính) as the catalogue defines it.
public struct Procedure: Sendable, Hashable {
    /// The national procedure code, such as `1.001193`.
    public var code: String
    public var name: String
    public var fieldCode: String
    /// The field (lĩnh vực), such as "Hộ tịch".
    public var fieldName: String
    public var decidingLevel: DecidingLevel
    public var duration: ProcedureDuration
    /// The duration for dossiers submitted online, when it differs.
    public var onlineDuration: ProcedureDuration?
    public var supplement: SupplementPolicy
    public var steps: [ProcedureStep]
    /// The papers the citizen is asked to hand in.
    public var documents: [String]

    public init(
        code: String, name: String, fieldCode: String, fieldName: String, decidingLevel: DecidingLevel,
        duration: ProcedureDuration, onlineDuration: ProcedureDuration? = nil, supplement: SupplementPolicy,
        steps: [ProcedureStep], documents: [String]
    ) {
        self.code = code
        self.name = name
        self.fieldCode = fieldCode
        self.fieldName = fieldName
        self.decidingLevel = decidingLevel
        self.duration = duration
        self.onlineDuration = onlineDuration
        self.supplement = supplement
        self.steps = steps
        self.documents = documents
    }

    /// The duration for a dossier submitted through `channel`.
    public func duration(for channel: Channel) -> ProcedureDuration {
        channel == .online ? onlineDuration ?? duration : duration
    }

    public func step(id: String) -> ProcedureStep? { steps.first { $0.id == id } }
}

/// How a dossier reached the office.
public enum Channel: String, Sendable, Hashable, CaseIterable {
    case counter, online, post

    /// In Vietnamese.
    public var vietnamese: String {
        switch self {
        case .counter: "Trực tiếp"
        case .online: "Trực tuyến"
        case .post: "Bưu chính"
        }
    }
}
