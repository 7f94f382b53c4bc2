import Foundation

/// `report overdue` and `report due`: the unfinished dossiers past their appointment, or due by a
/// given instant, with who holds them now — the office that owns the dossier, the step it is at and
/// the officer it was handed to. Judged on the appointment the citizen holds (an extension moves
/// it); a dossier waiting for the citizen's supplement has its clock stopped and is never listed.
public struct DueList: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case overdue, due }

    public struct Row: Sendable, Hashable {
        public var code: String
        public var procedureCode: String
        public var procedureName: String
        public var status: DossierStatus
        public var appointment: Int64
        /// Whether the appointment was moved by an extension (Mẫu 04).
        public var extended: Bool
        /// Calendar days past the appointment (overdue) or until it (due), Vietnam dates.
        public var days: Int
        /// The origin that owns the dossier now, and its name when known.
        public var office: String
        public var officeName: String
        /// The open step (bước) and the officer it was handed to, if a hand-over is open.
        public var step: String
        public var officer: String
        public var officerName: String
        public var receivingOffice: String
    }

    public var kind: Kind
    public var now: Int64
    /// For `due`: the last instant counted as due.
    public var dueBy: Int64?
    public var rows: [Row]

    /// The list over `states` at `now`: overdue ones when `dueBy` is nil, else those not yet
    /// overdue whose appointment is at or before `dueBy`. Sorted by appointment, then code.
    /// - Parameters:
    ///   - officeNames: origin → office name (from the topology); staffNames: staff id → name.
    public init(_ states: some Sequence<DossierState>, now: Int64, dueBy: Int64?, officeNames: [String: String], staffNames: [String: String]) {
        kind = dueBy == nil ? .overdue : .due
        self.now = now
        self.dueBy = dueBy
        var rows: [Row] = []
        for state in states {
            guard let status = state.status, let appointment = state.appointment, !status.isFinished, status != .supplementRequested else { continue }
            let overdue = state.isOverdue(at: now)
            if let dueBy {
                guard !overdue, appointment <= dueBy else { continue }
            } else {
                guard overdue else { continue }
            }
            let today = LocalDate(vietnamTimeOf: now).dayNumber
            let day = LocalDate(vietnamTimeOf: appointment).dayNumber
            let open = state.handovers.last.flatMap { $0.completedAt == nil ? $0 : nil }
            let office = state.owner ?? ""
            rows.append(
                Row(
                    code: state.code, procedureCode: state.procedureCode, procedureName: state.procedureName, status: status, appointment: appointment,
                    extended: !state.extensions.isEmpty, days: dueBy == nil ? today - day : day - today, office: office,
                    officeName: officeNames[office] ?? (office == state.receivingOffice ? state.officeName : ""), step: open?.stepName ?? "",
                    officer: open?.toActor ?? "", officerName: open.flatMap { staffNames[$0.toActor] } ?? "",
                    receivingOffice: state.receivingOffice ?? ""))
        }
        self.rows = rows.sorted { ($0.appointment, $0.code) < ($1.appointment, $1.code) }
    }

    var heading: [String] {
        switch kind {
        case .overdue: ["DANH SÁCH HỒ SƠ QUÁ HẠN", "Tính đến: \(LocalDate.vietnameseDateTime(now))"]
        case .due: ["DANH SÁCH HỒ SƠ SẮP ĐẾN HẠN", "Từ \(LocalDate.vietnameseDateTime(now)) đến \(LocalDate.vietnameseDateTime(dueBy ?? now))"]
        }
    }

    static let columns = ["Mã hồ sơ", "Thủ tục", "Hẹn trả", "Số ngày", "Đơn vị đang xử lý", "Bước", "Cán bộ xử lý", "Trạng thái"]

    func cells(_ row: Row) -> [String] {
        let days = kind == .overdue ? "quá \(row.days) ngày" : row.days == 0 ? "hôm nay" : "còn \(row.days) ngày"
        let office = row.officeName.isEmpty ? row.office : "\(row.officeName) (\(row.office))"
        let officer = row.officerName.isEmpty ? row.officer : "\(row.officerName) (\(row.officer))"
        return [
            row.code, row.procedureCode, LocalDate.vietnameseDateTime(row.appointment) + (row.extended ? " (đã gia hạn)" : ""), days, office, row.step, officer,
            row.status.vietnamese,
        ]
    }

    /// As a text table.
    public var table: String {
        var lines = heading
        lines.append("")
        let all = [Self.columns] + rows.map(cells)
        let widths = Self.columns.indices.map { column in min(40, all.map { $0[column].count }.max() ?? 0) }
        for line in all {
            lines.append(
                zip(line, widths).map { text, width in
                    text.count <= width ? text + String(repeating: " ", count: width - text.count) : String(text.prefix(width - 1)) + "…"
                }.joined(separator: "  ").trimmingTrailingSpaces)
        }
        lines.append("\(rows.count) hồ sơ")
        return lines.joined(separator: "\n") + "\n"
    }

    /// As CSV for Excel (UTF-8 with a byte-order mark, CRLF).
    public var csv: String { CSV.document(heading: heading, rows: [Self.columns] + rows.map(cells)) }

    /// As canonical JSON.
    public var json: JSONValue {
        [
            "list": .string(kind.rawValue),
            "now": .integer(Int(now)),
            "dueBy": dueBy.map { .integer(Int($0)) } ?? .null,
            "rows": .array(
                rows.map {
                    [
                        "code": .string($0.code), "procedure": .string($0.procedureCode), "status": .string($0.status.rawValue),
                        "appointment": .integer(Int($0.appointment)), "extended": .bool($0.extended), "days": .integer($0.days),
                        "office": .string($0.office), "officeName": .string($0.officeName), "step": .string($0.step), "officer": .string($0.officer),
                        "officerName": .string($0.officerName), "receivingOffice": .string($0.receivingOffice),
                    ]
                }),
        ]
    }
}
