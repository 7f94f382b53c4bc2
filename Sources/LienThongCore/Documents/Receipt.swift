/// The receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả, Mẫu 01) the citizen takes home, as text
/// for the terminal and the counter printer. A pure function of the folded dossier and the names
/// of the office's staff.
public enum Receipt {
    /// - Parameter staffNames: staff id → full name, to print who received the dossier.
    public static func text(_ state: DossierState, staffNames: [String: String]) -> String {
        let office = state.officeName.isEmpty ? (state.receivingOffice ?? "") : state.officeName
        let width = 72
        func center(_ line: String) -> String {
            let pad = max(0, (width - line.count) / 2)
            return String(repeating: " ", count: pad) + line
        }
        var lines: [String] = []
        lines.append(center("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
        lines.append(center("Độc lập - Tự do - Hạnh phúc"))
        lines.append(center(office.uppercased()))
        lines.append(center("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"))
        lines.append("")
        lines.append(center("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"))
        lines.append(center("Mã hồ sơ: \(state.code)"))
        lines.append("")
        lines.append("Bộ phận tiếp nhận và trả kết quả \(office)")
        lines.append("Tiếp nhận hồ sơ của: \(state.applicant.name)")
        lines.append("Số định danh cá nhân: \(state.applicant.idNumber)")
        lines.append("Địa chỉ: \(state.applicant.address)")
        if let phone = state.contact["phone"]?.value { lines.append("Số điện thoại: \(phone)") }
        if let email = state.contact["email"]?.value { lines.append("Thư điện tử: \(email)") }
        lines.append("Nội dung yêu cầu giải quyết: \(state.procedureName) (mã thủ tục \(state.procedureCode))")
        lines.append("Lĩnh vực: \(state.fieldName)")
        lines.append("Hình thức nộp: \(Channel(rawValue: state.channel)?.vietnamese ?? state.channel)")
        lines.append("")
        lines.append("1. Thành phần hồ sơ nộp gồm:")
        for (index, document) in state.documents.enumerated() { lines.append("   \(index + 1). \(document)") }
        lines.append("2. Số lượng hồ sơ: 01 bộ")
        lines.append("3. Thời gian giải quyết hồ sơ theo quy định: \(state.duration)")
        if let receivedAt = state.receivedAt {
            lines.append("4. Thời gian nhận hồ sơ: \(dateTime(receivedAt))")
        }
        if let appointment = state.appointment {
            lines.append("5. Thời gian trả kết quả giải quyết hồ sơ: \(dateTime(appointment))")
        } else {
            lines.append("5. Thời gian trả kết quả giải quyết hồ sơ: không hẹn trả (thủ tục không quy định thời hạn)")
        }
        lines.append("6. Nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả, \(office)")
        lines.append("")
        lines.append("     NGƯỜI NỘP HỒ SƠ                        NGƯỜI TIẾP NHẬN HỒ SƠ")
        lines.append("   (Ký và ghi rõ họ tên)                    (Ký và ghi rõ họ tên)")
        lines.append("")
        lines.append("   \(state.applicant.name)" + String(repeating: " ", count: max(2, 41 - state.applicant.name.count))
            + (staffNames[state.receivedBy] ?? state.receivedBy))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `HH giờ mm phút, ngày dd/mm/yyyy` in Vietnam time.
    public static func dateTime(_ milliseconds: Int64) -> String {
        let minute = LocalDate.minuteOfDay(vietnamTimeOf: milliseconds)
        let date = LocalDate(vietnamTimeOf: milliseconds)
        return "\(LocalDate.pad(minute / 60, 2)) giờ \(LocalDate.pad(minute % 60, 2)) phút, ngày \(date.vietnamese)"
    }
}
