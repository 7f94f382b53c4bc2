import LienThongCore
import LienThongStore

/// What a citizen learns from `GET /v1/lookup` (tra cứu hồ sơ): where the dossier stands, when the
/// result is due and where to collect it. Nothing personal: no name, no ID number, no address, no
/// contact, no reasons — the answer goes to whoever holds the code and the last four digits.
public struct LookupAnswer: Sendable, Hashable {
    public var code: String
    /// The national status code (1–10, or `forwarded`).
    public var status: String
    /// The status as the citizen reads it, in Vietnamese.
    public var statusText: String
    /// The appointment the citizen holds (an extension moves it), Unix ms; nil for procedures without one.
    public var appointment: Int64?
    /// Where the result is handed over: the receiving office's one-stop counter.
    public var collectAt: String

    public var json: JSONValue {
        [
            "code": .string(code), "status": .string(status), "statusText": .string(statusText),
            "appointment": appointment.map { .integer(Int($0)) } ?? .null,
            "appointmentText": appointment.map { .string(LocalDate.vietnameseDateTime($0)) } ?? .null,
            "collectAt": .string(collectAt),
        ]
    }
}

extension HubService {
    /// The lookup answer for dossier `code` when the applicant's ID number ends in `idLastFour`, or
    /// nil when the code is unknown or the digits do not match — the caller answers both with the
    /// same bytes. (The time taken may differ: an unknown code is one index probe, a known one is
    /// folded. Codes are sequential and guessable anyway; the four digits, and the per-address
    /// limit on guessing them, are what protect the answer.) While a conflict over the
    /// dossier's status is open, the status is "Đang xử lý" (processing): which side stands is not
    /// settled, and the citizen is told nothing either side may take back.
    public func lookup(code: String, idLastFour: String) throws(StoreError) -> LookupAnswer? {
        guard let state = try store.dossier(code), let status = state.status, state.applicant.idNumber.count >= 4 else { return nil }
        // Compared in full whatever the first difference, so the time taken does not tell how many digits matched.
        let held = Array(state.applicant.idNumber.utf8.suffix(4))
        let given = Array(idLastFour.utf8)
        guard given.count == 4, zip(held, given).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { return nil }
        let shown: DossierStatus = state.hasOpenStatusConflict || status == .forwarded ? .processing : status
        let office = state.officeName.isEmpty ? (state.receivingOffice ?? "") : state.officeName
        return LookupAnswer(
            code: state.code, status: shown.rawValue, statusText: shown.vietnamese, appointment: shown.isFinished ? nil : state.appointment,
            collectAt: "Bộ phận tiếp nhận và trả kết quả, \(office)")
    }
}
