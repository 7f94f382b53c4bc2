/// Where a dossier stands, in the vocabulary of the National Public Service Portal (Cổng Dịch vụ
/// công quốc gia): codes 1–10, plus "forwarded" while it is handled at another office. Overdue is
/// computed from the appointment when asked, never stored.
public enum DossierStatus: String, Sendable, Hashable, CaseIterable {
    case submitted = "1"
    case received = "2"
    case refusedAtReception = "3"
    case processing = "4"
    case supplementRequested = "5"
    case awaitingFees = "6"
    case withdrawn = "7"
    case stopped = "8"
    case resolved = "9"
    case returned = "10"
    case forwarded = "forwarded"

    /// The status name in Vietnamese, as clerks read it.
    public var vietnamese: String {
        switch self {
        case .submitted: "Mới đăng ký"
        case .received: "Đã tiếp nhận"
        case .refusedAtReception: "Từ chối tiếp nhận"
        case .processing: "Đang xử lý"
        case .supplementRequested: "Yêu cầu bổ sung"
        case .awaitingFees: "Chờ thực hiện nghĩa vụ tài chính"
        case .withdrawn: "Đã rút hồ sơ"
        case .stopped: "Dừng xử lý"
        case .resolved: "Đã có kết quả"
        case .returned: "Đã trả kết quả"
        case .forwarded: "Đã chuyển liên thông"
        }
    }

    /// The status name in English, for logs and `--json` readers.
    public var english: String {
        switch self {
        case .submitted: "submitted"
        case .received: "received"
        case .refusedAtReception: "refused at reception"
        case .processing: "processing"
        case .supplementRequested: "supplement requested"
        case .awaitingFees: "awaiting fees"
        case .withdrawn: "withdrawn"
        case .stopped: "stopped"
        case .resolved: "resolved"
        case .returned: "result returned"
        case .forwarded: "forwarded"
        }
    }

    /// Whether the dossier's processing is over (nothing is due any more).
    public var isFinished: Bool {
        switch self {
        case .refusedAtReception, .withdrawn, .stopped, .resolved, .returned: true
        default: false
        }
    }

    /// Whether a dossier in `status` with `appointment` is past it at `now`: unfinished, not waiting
    /// for the citizen's supplement (the clock is stopped then) and later than the appointment.
    /// Overdue is computed when asked, never stored.
    public static func isOverdue(_ status: DossierStatus?, appointment: Int64?, at now: Int64) -> Bool {
        guard let appointment, let status, !status.isFinished, status != .supplementRequested else { return false }
        return now > appointment
    }

    /// Parses the `--status` a clerk types: a code (`4`), the English name (`processing`) or `forwarded`.
    public init?(argument: String) {
        let text = argument.lowercased()
        if let status = DossierStatus(rawValue: text) {
            self = status
        } else if let status = DossierStatus.allCases.first(where: { $0.english == text || $0.english.replacingOccurrences(of: " ", with: "-") == text }) {
            self = status
        } else {
            return nil
        }
    }
}
