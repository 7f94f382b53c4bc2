/// The receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả, Mẫu 01) the citizen takes home, as text
/// for the terminal and the counter printer: ``DossierForms/receipt(_:names:)`` rendered as text.
public enum Receipt {
    /// - Parameter staffNames: staff id → full name, to print who received the dossier.
    public static func text(_ state: DossierState, staffNames: [String: String]) -> String {
        DossierForms.receipt(state, names: DossierForms.Names(staff: staffNames)).text
    }
}
