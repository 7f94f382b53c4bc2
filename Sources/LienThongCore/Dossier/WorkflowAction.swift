/// What a person can do to a received dossier, one entry per action: the one catalogue the CLI's
/// dossier commands, the local API's `POST /v1/dossiers/{code}/{action}` routes and the counter
/// page share. Each names its action, says what it does (English for `--help` and the API
/// document, Vietnamese for the page), lists the members its request carries and turns them into a
/// ``Workflow/Command``. Who may do it, and when, stays in ``DossierRules``: the catalogue only says
/// what is asked.
public struct WorkflowAction: Sendable {
    /// The name in the CLI (`lienthong dossier process`), the API path and the page.
    public let name: String
    /// One line for `--help` and the API document.
    public let summary: String
    /// The button's label on the counter page (Vietnamese).
    public let label: String
    /// The request's members besides `actor` (who does it), in the order a form shows them.
    public let fields: [String]
    private let make: @Sendable (any ActionRequest) throws(ActionInputError) -> Workflow.Command

    /// Every member a request for it may carry: `actor` and ``fields``.
    public var members: Set<String> { Set(fields + ["actor"]) }

    /// The command `request` asks for; a missing or malformed member is an ``ActionInputError``
    /// naming it.
    public func command(_ request: any ActionRequest) throws(ActionInputError) -> Workflow.Command { try make(request) }

    /// The action named `name`, if there is one.
    public static func named(_ name: String) -> WorkflowAction? { all.first { $0.name == name } }

    /// Every action, in the order a dossier usually meets them.
    public static let all: [WorkflowAction] = [
        .init("process", "Hand the dossier over to an officer for a step (chuyển xử lý).", "Chuyển xử lý", ["to", "step"]) { request throws(ActionInputError) in
            .process(to: try request.string("to"), step: try request.optionalString("step"))
        },
        .init("request-supplement", "Ask the citizen for missing papers (yêu cầu bổ sung hồ sơ).", "Yêu cầu bổ sung", ["reason", "documents"]) {
            request throws(ActionInputError) in .requestSupplement(reason: try request.string("reason"), documents: try request.strings("documents"))
        },
        .init("supplement-received", "Record that the missing papers arrived; the clock resumes or restarts.", "Đã nhận bổ sung", ["to"]) {
            request throws(ActionInputError) in .supplementReceived(to: try request.optionalString("to"))
        },
        .init(
            "supplement-delivered", "At the receiving office: record papers the citizen brought for a dossier handled elsewhere.",
            "Công dân nộp bổ sung", ["note"]
        ) { request throws(ActionInputError) in .supplementDelivered(note: try request.string("note")) },
        .init("forward", "Forward the dossier to another agency (chuyển liên thông); it then owns it.", "Chuyển liên thông", ["to", "reason"]) {
            request throws(ActionInputError) in .forward(agency: try request.string("to"), reason: try request.optionalString("reason") ?? "")
        },
        .init("accept", "Accept a dossier forwarded to this office.", "Tiếp nhận hồ sơ liên thông", []) { _ throws(ActionInputError) in .accept },
        .init("resolve", "Record the decision: approve, or refuse with a reason.", "Ghi kết quả giải quyết", ["decision", "reason"]) {
            request throws(ActionInputError) in
            let decision = try request.string("decision")
            guard decision == "approved" || decision == "refused" else {
                throw ActionInputError("decision: expected approved or refused; found \"\(decision.prefix(40))\"")
            }
            return .resolve(approved: decision == "approved", reason: try request.optionalString("reason") ?? "")
        },
        .init("send-result", "Send the result back to the receiving office, which then owns the dossier.", "Chuyển trả kết quả", []) {
            _ throws(ActionInputError) in .sendResult
        },
        .init("return-to-sender", "Send the dossier back, undecided, to the office that forwarded it.", "Trả lại nơi chuyển", ["reason"]) {
            request throws(ActionInputError) in .returnToSender(reason: try request.string("reason"))
        },
        .init("return", "Hand the result to the citizen (trả kết quả).", "Trả kết quả cho công dân", []) { _ throws(ActionInputError) in .returnResult },
        .init("withdraw", "The citizen withdraws the dossier (rút hồ sơ), while this office owns it.", "Rút hồ sơ", ["reason"]) {
            request throws(ActionInputError) in .withdraw(reason: try request.string("reason"))
        },
        .init(
            "request-withdrawal", "Record a citizen's withdrawal request for a dossier handled elsewhere; the owner acts on it.",
            "Đề nghị rút hồ sơ", ["reason"]
        ) { request throws(ActionInputError) in .requestWithdrawal(reason: try request.string("reason")) },
        .init("stop", "Stop processing the dossier (dừng xử lý).", "Dừng xử lý", ["reason"]) { request throws(ActionInputError) in
            .stop(reason: try request.string("reason"))
        },
        .init("refuse", "Refuse the dossier at reception (từ chối tiếp nhận), before processing starts.", "Từ chối tiếp nhận", ["reason"]) {
            request throws(ActionInputError) in .refuse(reason: try request.string("reason"))
        },
        .init("extend", "Set a new appointment with an apology (thư xin lỗi và hẹn lại ngày trả kết quả).", "Gia hạn, hẹn lại", ["until", "reason"]) {
            request throws(ActionInputError) in
            let until = try request.string("until")
            guard let date = LocalDate(iso: until) else { throw ActionInputError("until: expected a date as yyyy-mm-dd; found \"\(until.prefix(40))\"") }
            return .extend(until: date, reason: try request.string("reason"))
        },
        .init("update-contact", "Correct the applicant's phone or email (either office may).", "Sửa thông tin liên hệ", ["phone", "email"]) {
            request throws(ActionInputError) in
            let phone = try request.optionalString("phone")
            let email = try request.optionalString("email")
            guard phone != nil || email != nil else { throw ActionInputError("phone, email: expected at least one of them") }
            return .updateContact(phone: phone, email: email)
        },
        .init("note", "Add a note to the dossier.", "Ghi chú", ["text"]) { request throws(ActionInputError) in .note(try request.string("text")) },
    ]

    init(
        _ name: String, _ summary: String, _ label: String, _ fields: [String],
        _ make: @escaping @Sendable (any ActionRequest) throws(ActionInputError) -> Workflow.Command
    ) {
        self.name = name
        self.summary = summary
        self.label = label
        self.fields = fields
        self.make = make
    }
}

/// A request for an action as an adapter reads it (a JSON body, a form): its members by name,
/// each error naming the member and what was expected.
public protocol ActionRequest {
    /// A non-empty string; missing or empty is an error.
    func string(_ member: String) throws(ActionInputError) -> String
    /// A string, or nil when absent.
    func optionalString(_ member: String) throws(ActionInputError) -> String?
    /// A list of strings, empty when absent.
    func strings(_ member: String) throws(ActionInputError) -> [String]
}

/// A member of an action's request that is missing or not what the action expects: the message
/// names the member and what was expected, as the clerk or the calling software reads it.
public struct ActionInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
