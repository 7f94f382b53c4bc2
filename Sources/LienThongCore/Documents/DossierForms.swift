/// The documents a one-stop-shop counter prints for a dossier, in Vietnamese, after the forms of
/// Thông tư 01/2018/TT-VPCP (renumbered by Thông tư 03/2025/TT-VPCP; the content is unchanged):
/// the receipt (Mẫu 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả), the supplement request (Mẫu 02,
/// Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ), the apology with a new appointment (Mẫu 04, Phiếu xin
/// lỗi và hẹn lại ngày trả kết quả) and the hand-over control slip (Phiếu kiểm soát quá trình giải
/// quyết hồ sơ). Pure functions of the folded dossier, its events and the names of offices and staff.
public enum DossierForms {
    public enum Form: String, Sendable, Hashable, CaseIterable {
        case receipt, supplement, apology, control
    }

    /// Why a form cannot be printed for this dossier.
    public struct Unavailable: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// What the forms need besides the dossier: staff id → name, origin → office name.
    public struct Names: Sendable, Hashable {
        public var staff: [String: String]
        public var offices: [String: String]

        public init(staff: [String: String] = [:], offices: [String: String] = [:]) {
            self.staff = staff
            self.offices = offices
        }

        func staff(_ id: String) -> String { staff[id] ?? id }
    }

    /// `form` for the dossier `state` folded from `events`.
    public static func document(_ form: Form, state: DossierState, events: [Event], names: Names) throws(Unavailable) -> PrintedDocument {
        switch form {
        case .receipt: return receipt(state, names: names)
        case .supplement: return try supplement(state, events: events, names: names)
        case .apology: return try apology(state, events: events, names: names)
        case .control: return control(state, events: events, names: names)
        }
    }

    static func office(_ state: DossierState) -> String {
        state.officeName.isEmpty ? (state.receivingOffice ?? "") : state.officeName
    }

    static func officeName(_ origin: String, state: DossierState, names: Names) -> String {
        if origin == state.receivingOffice { return office(state) }
        return names.offices[origin] ?? origin
    }

    static func counterHeading(_ office: String, date: Int64? = nil) -> PrintedDocument.Block {
        var right = PrintedDocument.motto
        if let date { right.append(dateLine(date)) }
        return .heading(left: [office.uppercased(), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"], right: right)
    }

    /// `ngày 05 tháng 01 năm 2026`, Vietnam date.
    public static func dateLine(_ milliseconds: Int64) -> String {
        let date = LocalDate(vietnamTimeOf: milliseconds)
        return "Ngày \(LocalDate.pad(date.day, 2)) tháng \(LocalDate.pad(date.month, 2)) năm \(date.year)"
    }

    /// `HH giờ mm phút, ngày dd/mm/yyyy` in Vietnam time.
    public static func dateTime(_ milliseconds: Int64) -> String {
        let minute = LocalDate.minuteOfDay(vietnamTimeOf: milliseconds)
        let date = LocalDate(vietnamTimeOf: milliseconds)
        return "\(LocalDate.pad(minute / 60, 2)) giờ \(LocalDate.pad(minute % 60, 2)) phút, ngày \(date.vietnamese)"
    }

    static func applicantFields(_ state: DossierState) -> [PrintedDocument.Block] {
        var blocks: [PrintedDocument.Block] = [.field("Địa chỉ", state.applicant.address)]
        if let phone = state.contact["phone"]?.value { blocks.append(.field("Số điện thoại", phone)) }
        if let email = state.contact["email"]?.value { blocks.append(.field("Thư điện tử", email)) }
        return blocks
    }

    // MARK: Mẫu 01

    /// Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
    public static func receipt(_ state: DossierState, names: Names) -> PrintedDocument {
        let office = office(state)
        var blocks: [PrintedDocument.Block] = [
            counterHeading(office),
            .title("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", ["Mã hồ sơ: \(state.code)"]),
            .paragraph("Bộ phận tiếp nhận và trả kết quả \(office)"),
            .field("Tiếp nhận hồ sơ của", state.applicant.name),
            .field("Số định danh cá nhân", state.applicant.idNumber),
        ]
        blocks += applicantFields(state)
        blocks += [
            .field("Nội dung yêu cầu giải quyết", "\(state.procedureName) (mã thủ tục \(state.procedureCode))"),
            .field("Lĩnh vực", state.fieldName),
            .field("Hình thức nộp", Channel(rawValue: state.channel)?.vietnamese ?? state.channel),
            .blank,
            .numbered("1. Thành phần hồ sơ nộp gồm:", state.documents),
            .paragraph("2. Số lượng hồ sơ: 01 bộ"),
            .paragraph("3. Thời gian giải quyết hồ sơ theo quy định: \(state.duration)"),
        ]
        if let receivedAt = state.receivedAt { blocks.append(.paragraph("4. Thời gian nhận hồ sơ: \(dateTime(receivedAt))")) }
        if let appointment = state.appointment {
            blocks.append(.paragraph("5. Thời gian trả kết quả giải quyết hồ sơ: \(dateTime(appointment))"))
        } else {
            blocks.append(.paragraph("5. Thời gian trả kết quả giải quyết hồ sơ: không hẹn trả (thủ tục không quy định thời hạn)"))
        }
        blocks += [
            .paragraph("6. Nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả, \(office)"),
            .blank,
            .signatures([
                PrintedDocument.Signature(title: "NGƯỜI NỘP HỒ SƠ", name: state.applicant.name),
                PrintedDocument.Signature(title: "NGƯỜI TIẾP NHẬN HỒ SƠ", name: names.staff(state.receivedBy)),
            ]),
        ]
        return PrintedDocument(title: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả \(state.code)", blocks: blocks)
    }

    // MARK: Mẫu 02

    /// The last applied event of `type`, from the fold's history.
    static func lastApplied(_ type: String, state: DossierState, events: [Event]) -> Event? {
        let byID = Dictionary(events.map { (DossierFold.id($0), $0) }, uniquingKeysWith: { first, _ in first })
        return state.history.last { $0.type == type && $0.result == .applied }.flatMap { byID[$0.event] }
    }

    /// Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ, for the dossier's last supplement request.
    public static func supplement(_ state: DossierState, events: [Event], names: Names) throws(Unavailable) -> PrintedDocument {
        guard let request = lastApplied("dossier.supplementRequested", state: state, events: events) else {
            throw Unavailable(description: "dossier \(state.code) has no supplement request (write one with `lienthong dossier request-supplement`)")
        }
        let at = DossierFold.at(request)
        let office = officeName(request.origin, state: state, names: names)
        let reason = request.body["reason"]?.stringValue ?? ""
        let documents = DossierFold.strings(request.body["documents"])
        var blocks: [PrintedDocument.Block] = [
            counterHeading(office, date: at),
            .title("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", ["Mã hồ sơ: \(state.code)"]),
            .field("Hồ sơ của", state.applicant.name),
            .field("Nội dung yêu cầu giải quyết", "\(state.procedureName) (mã thủ tục \(state.procedureCode))"),
        ]
        blocks += applicantFields(state)
        blocks += [
            .numbered("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", documents.isEmpty ? [reason] : documents),
            .field("Lý do", reason),
        ]
        if state.supplementPolicy == .pause, let remaining = request.body["remaining"]?.integerValue {
            let left =
                switch state.duration {
                case .calendarDays: "\(remaining) ngày"
                default: "\(remaining / 60) giờ \(remaining % 60) phút làm việc"
                }
            blocks.append(.paragraph("Thời hạn giải quyết tạm dừng và được tính tiếp khi nhận đủ hồ sơ bổ sung (còn lại \(left))."))
        } else {
            blocks.append(.paragraph("Thời hạn giải quyết được tính lại từ đầu khi nhận đủ hồ sơ bổ sung."))
        }
        blocks += [
            .paragraph("Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với \(names.staff(request.actor)), \(office) để được hướng dẫn./."),
            .blank,
            .signatures([PrintedDocument.Signature(title: "NGƯỜI HƯỚNG DẪN", name: names.staff(request.actor))]),
        ]
        return PrintedDocument(title: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ \(state.code)", blocks: blocks)
    }

    // MARK: Mẫu 04

    /// Phiếu xin lỗi và hẹn lại ngày trả kết quả, for the dossier's last extension.
    public static func apology(_ state: DossierState, events: [Event], names: Names) throws(Unavailable) -> PrintedDocument {
        guard let lastExtension = lastApplied("dossier.extended", state: state, events: events),
            let newAppointment = lastExtension.body["appointment"]?.integerValue.map(Int64.init)
        else {
            throw Unavailable(description: "dossier \(state.code) has no new appointment (write one with `lienthong dossier extend`)")
        }
        // The appointment the citizen held before this extension.
        var previous: Int64?
        let byID = Dictionary(events.map { (DossierFold.id($0), $0) }, uniquingKeysWith: { first, _ in first })
        for step in state.history where step.result == .applied {
            if step.event == DossierFold.id(lastExtension) { break }
            guard let event = byID[step.event] else { continue }
            if ["dossier.received", "dossier.supplementReceived", "dossier.extended"].contains(event.type),
                let appointment = event.body["appointment"]?.integerValue
            {
                previous = Int64(appointment)
            }
        }
        let at = DossierFold.at(lastExtension)
        let office = officeName(lastExtension.origin, state: state, names: names)
        let receiving = Self.office(state)
        var blocks: [PrintedDocument.Block] = [
            .heading(left: [office.uppercased()], right: PrintedDocument.motto + [dateLine(at)]),
            .title("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", ["Mã hồ sơ: \(state.code)"]),
            .paragraph("Kính gửi: Ông/Bà \(state.applicant.name)"),
        ]
        if let receivedAt = state.receivedAt {
            blocks.append(
                .paragraph(
                    "Ngày \(LocalDate(vietnamTimeOf: receivedAt).vietnamese), \(receiving) tiếp nhận giải quyết hồ sơ của Ông/Bà về \(state.procedureName)."))
        }
        blocks.append(.field("Thời hạn giải quyết theo quy định", state.duration.description))
        if let previous { blocks.append(.field("Hẹn trả kết quả", dateTime(previous))) }
        blocks += [
            .paragraph("Tuy nhiên đến nay, \(office) chưa trả kết quả giải quyết hồ sơ của Ông/Bà."),
            .field("Lý do", lastExtension.body["reason"]?.stringValue ?? ""),
            .paragraph(
                "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. \(office) xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào \(dateTime(newAppointment)), tại Bộ phận tiếp nhận và trả kết quả, \(receiving)."
            ),
            .paragraph("Xin trân trọng cảm ơn./."),
            .blank,
            .signatures([
                PrintedDocument.Signature(title: "THỦ TRƯỞNG CƠ QUAN", note: "(Ký, ghi rõ họ tên và đóng dấu)", name: names.staff(lastExtension.actor))
            ]),
        ]
        return PrintedDocument(title: "Phiếu xin lỗi và hẹn lại ngày trả kết quả \(state.code)", blocks: blocks)
    }

    // MARK: Control slip

    /// Phiếu kiểm soát quá trình giải quyết hồ sơ: one row per hand-over, with its deadline and
    /// whether it was finished early, on time or late, and one per transfer between offices
    /// (forward, acceptance, result sent back, return to the sender), in the order they happened.
    public static func control(_ state: DossierState, events: [Event], names: Names) -> PrintedDocument {
        let receiving = office(state)
        let others = Set(state.handovers.map(\.office)).subtracting([state.receivingOffice ?? ""]).sorted()
        var blocks: [PrintedDocument.Block] = [
            counterHeading(receiving),
            .title("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", ["Mã hồ sơ: \(state.code)"]),
            .field("Cơ quan (bộ phận) giải quyết hồ sơ", receiving),
        ]
        if !others.isEmpty {
            blocks.append(.field("Cơ quan phối hợp giải quyết hồ sơ", others.map { officeName($0, state: state, names: names) }.joined(separator: "; ")))
        }
        blocks += [
            .field("Hồ sơ của", state.applicant.name),
            .field("Nội dung yêu cầu giải quyết", "\(state.procedureName) (mã thủ tục \(state.procedureCode))"),
            .field("Thời gian nhận hồ sơ", state.receivedAt.map(dateTime) ?? "—"),
            .field("Thời gian hẹn trả kết quả", state.appointment.map(dateTime) ?? "không hẹn trả"),
            .blank,
        ]
        var timed: [(at: Int64, cells: [String])] = state.handovers.map { handover in
            let outcome = handover.outcome?.vietnamese ?? (handover.completedAt == nil ? "Đang xử lý" : "—")
            return (
                handover.at,
                [
                    officeName(handover.office, state: state, names: names),
                    "\(handover.stepName) (\(handover.allottedHours) giờ)",
                    "Giao: \(names.staff(handover.fromActor)), \(LocalDate.vietnameseDateTime(handover.at)); nhận: \(names.staff(handover.toActor))",
                    handover.due.map(LocalDate.vietnameseDateTime) ?? "—",
                    outcome,
                    handover.completedAt.map { "Hoàn thành \(LocalDate.vietnameseDateTime($0))" } ?? "",
                ]
            )
        }
        let byID = Dictionary(events.map { (DossierFold.id($0), $0) }, uniquingKeysWith: { first, _ in first })
        for step in state.history where step.result == .applied {
            let office = officeName(step.origin, state: state, names: names)
            let action: String
            switch step.type {
            case "dossier.forwarded":
                let target = byID[step.event].flatMap { $0.body["toName"]?.stringValue ?? $0.body["to"]?.stringValue } ?? ""
                action = "Chuyển liên thông đến \(target)"
            case "dossier.accepted": action = "Nhận hồ sơ liên thông"
            case "dossier.resultSent": action = "Chuyển kết quả về \(Self.office(state))"
            case "dossier.returnedToSender": action = "Trả hồ sơ về nơi chuyển"
            default: continue
            }
            let verb = step.type == "dossier.accepted" ? "Nhận" : "Giao"
            timed.append((step.at, [office, action, "\(verb): \(names.staff(step.actor)), \(LocalDate.vietnameseDateTime(step.at))", "—", "—", ""]))
        }
        // By time; at the same instant, hand-overs before transfers (a forward closes the
        // hand-over it follows), each in the fold's order.
        let rows = timed.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.enumerated().map { index, row in
            [String(index + 1)] + row.element.cells
        }
        blocks.append(
            .table(
                columns: [
                    "STT", "TÊN CƠ QUAN", "BƯỚC XỬ LÝ", "THỜI GIAN GIAO, NHẬN HỒ SƠ", "HẠN XỬ LÝ", "KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/Đúng hạn/Quá hạn)",
                    "GHI CHÚ",
                ],
                rows: rows))
        if let status = state.status { blocks += [.blank, .field("Trạng thái hiện tại", status.vietnamese)] }
        return PrintedDocument(title: "Phiếu kiểm soát quá trình giải quyết hồ sơ \(state.code)", page: .a5Landscape, blocks: blocks)
    }
}
