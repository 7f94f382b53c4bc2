import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

extension CommandConfiguration {
    /// A dossier command named and described by the workflow's catalogue (``WorkflowAction``),
    /// the one the local API and the counter page use too.
    static func action(_ name: String) -> CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: WorkflowAction.named(name)?.summary ?? "")
    }
}

/// A dossier command that writes one event: parse, build the workflow command, save, confirm.
protocol DossierTransition: ParsableCommand {
    var writer: WriterOptions { get }
    var code: String { get }
    func command() throws -> Workflow.Command
}

extension DossierTransition {
    func run() throws {
        let command = try command()
        let saved = try NodeContext(writer.data).perform(command, on: code, actor: writer.actor)
        guard let event = saved.events.last else { return }
        var line = "saved \(event.type) on \(code) (\(event.origin) seq \(event.seq))"
        if let status = saved.state.status { line += ": \(status.vietnamese)" }
        if let appointment = saved.state.appointment, !(saved.state.status?.isFinished ?? true) {
            line += ", hẹn trả \(LocalDate.vietnameseDateTime(appointment))"
        }
        print(line)
    }
}

struct ProcessCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("process")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The officer who takes it: a staff id.") var to: String
    @Option(help: "The step id (default: the procedure's next step).") var step: String?
    func command() throws -> Workflow.Command { .process(to: to, step: step) }
}

struct RequestSupplementCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("request-supplement")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "What is missing, as the citizen will read it.") var reason: String
    @Option(name: .customLong("document"), help: "A paper to bring; repeat for each.") var documents: [String] = []
    func command() throws -> Workflow.Command { .requestSupplement(reason: reason, documents: documents) }
}

struct SupplementReceivedCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("supplement-received")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The officer who continues (default: the actor).") var to: String?
    func command() throws -> Workflow.Command { .supplementReceived(to: to) }
}

struct SupplementDeliveredCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("supplement-delivered")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "Which papers were brought.") var note: String
    func command() throws -> Workflow.Command { .supplementDelivered(note: note) }
}

struct ForwardCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("forward")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The agency code to forward to, from the topology (e.g. 597).") var to: String
    @Option(help: "A note for the receiving agency.") var reason: String = ""
    func command() throws -> Workflow.Command { .forward(agency: to, reason: reason) }
}

struct AcceptCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("accept")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    func command() throws -> Workflow.Command { .accept }
}

struct ResolveCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("resolve")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Flag(help: "The application is approved.") var approve = false
    @Flag(help: "The application is refused (give --reason).") var refuse = false
    @Option(help: "The reason, as the citizen will read it (required with --refuse).") var reason: String = ""
    func validate() throws {
        guard approve != refuse else { throw ValidationError("give exactly one of --approve or --refuse") }
    }
    func command() throws -> Workflow.Command { .resolve(approved: approve, reason: reason) }
}

struct SendResultCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("send-result")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    func command() throws -> Workflow.Command { .sendResult }
}

struct ReturnToSenderCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("return-to-sender")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "Why it goes back.") var reason: String
    func command() throws -> Workflow.Command { .returnToSender(reason: reason) }
}

struct ReturnCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("return")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    func command() throws -> Workflow.Command { .returnResult }
}

struct WithdrawCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("withdraw")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The citizen's reason.") var reason: String
    func command() throws -> Workflow.Command { .withdraw(reason: reason) }
}

struct RequestWithdrawalCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("request-withdrawal")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The citizen's reason.") var reason: String
    func command() throws -> Workflow.Command { .requestWithdrawal(reason: reason) }
}

struct StopCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("stop")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "Why, as the citizen will read it.") var reason: String
    func command() throws -> Workflow.Command { .stop(reason: reason) }
}

struct RefuseCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("refuse")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "Why, as the citizen will read it.") var reason: String
    func command() throws -> Workflow.Command { .refuse(reason: reason) }
}

struct ExtendCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("extend")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The new appointment date: yyyy-mm-dd or dd/mm/yyyy (a working day).") var until: String
    @Option(help: "The reason for the delay, as the apology will state it.") var reason: String
    func command() throws -> Workflow.Command {
        guard let date = LocalDate(argument: until) else {
            throw ValidationError("--until: expected a date as yyyy-mm-dd or dd/mm/yyyy, found \(until)")
        }
        return .extend(until: date, reason: reason)
    }
}

struct UpdateCommand: DossierTransition {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Correct contact details (phone, email: either office) or intake fields (the owner only).",
        discussion: "Contact and intake fields are different events with different rules; change them in separate commands.")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "New phone number.") var phone: String?
    @Option(help: "New email address.") var email: String?
    @Option(help: "Corrected applicant name.") var applicant: String?
    @Option(name: .customLong("id-number"), help: "Corrected citizen ID.") var idNumber: String?
    @Option(help: "Corrected address.") var address: String?
    @Option(name: .customLong("document"), help: "The corrected document list; repeat for each.") var documents: [String] = []
    func command() throws -> Workflow.Command {
        let contact = phone != nil || email != nil
        let intake = applicant != nil || idNumber != nil || address != nil || !documents.isEmpty
        switch (contact, intake) {
        case (true, false): return .updateContact(phone: phone, email: email)
        case (false, true):
            return .updateIntake(applicantName: applicant, idNumber: idNumber, address: address, documents: documents.isEmpty ? nil : documents)
        case (true, true):
            throw ValidationError(
                "give contact fields (--phone, --email) and intake fields (--applicant, --id-number, --address, --document) in separate commands")
        case (false, false):
            throw ValidationError("give at least one field to change: --phone, --email, --applicant, --id-number, --address or --document")
        }
    }
}

struct NoteCommand: DossierTransition {
    static let configuration = CommandConfiguration.action("note")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "The note.") var text: String
    func command() throws -> Workflow.Command { .note(text) }
}
