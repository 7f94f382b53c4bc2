import ArgumentParser
import Foundation
import LienThongCore
import LienThongHub
import LienThongStore

/// `lienthong dossier …`: a commune counter's daily work, with or without a network.
struct DossierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier",
        abstract: "Receive dossiers (hồ sơ), move them through their procedure, list and show them.",
        subcommands: [
            DossierReceiveCommand.self, DossierListCommand.self, DossierShowCommand.self, DossierReceiptCommand.self, DossierPrintCommand.self,
            ProcessCommand.self, RequestSupplementCommand.self, SupplementReceivedCommand.self, SupplementDeliveredCommand.self,
            ForwardCommand.self, AcceptCommand.self, ResolveCommand.self, SendResultCommand.self, ReturnToSenderCommand.self,
            ReturnCommand.self, WithdrawCommand.self, RequestWithdrawalCommand.self, StopCommand.self, RefuseCommand.self,
            ExtendCommand.self, UpdateCommand.self, NoteCommand.self,
        ])
}

/// Options every dossier write takes: the node and the acting officer.
struct WriterOptions: ParsableArguments {
    @OptionGroup var data: DataDirectoryOptions

    @Option(help: "The officer doing this: a staff id of the office (see the node's staff.json).")
    var actor: String
}

/// `dossier receive`: tiếp nhận hồ sơ, printing the receipt.
struct DossierReceiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Receive a dossier at the counter and print its receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả).")

    @OptionGroup var writer: WriterOptions
    @Option(help: "The procedure's national code from the catalogue, e.g. 1.001193.") var procedure: String
    @Option(help: "The applicant's full name.") var applicant: String = ""
    @Option(name: .customLong("id-number"), help: "The applicant's 12-digit citizen ID (CCCD).") var idNumber: String = ""
    @Option(help: "The applicant's phone number.") var phone: String = ""
    @Option(help: "The applicant's email address, if any.") var email: String?
    @Option(help: "The applicant's address.") var address: String = ""
    @Option(name: .customLong("document"), help: "A document handed in; repeat for each.") var documents: [String] = []
    @Option(help: "How the dossier arrived: counter, online or post.") var channel: String = "counter"
    @Flag(help: "Print the saved dossier as JSON instead of the receipt.") var json = false

    func run() throws {
        guard let channel = Channel(rawValue: channel) else {
            throw ValidationError("--channel: expected counter, online or post, found \(channel)")
        }
        let node = try NodeContext(writer.data)
        let key = try node.directory.loadSigningKey()
        let intake = Workflow.Intake(
            procedureCode: procedure, applicantName: applicant, idNumber: idNumber, phone: phone, email: email, address: address,
            documents: documents, channel: channel)
        let saved = try node.write {
            try node.log.receive(
                intake, actor: writer.actor, workflow: node.workflow, key: key, wallMilliseconds: NodeContext.wallMilliseconds)
        }
        if json {
            print(CanonicalJSON.string(saved.state.json))
        } else {
            print(Receipt.text(saved.state, staffNames: node.staffNames), terminator: "")
        }
    }
}

/// `dossier list`.
struct DossierListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List dossiers, newest first.")

    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "Only this status: a national code 1–10, a name such as processing, or forwarded.") var status: String?
    @Flag(help: "Only dossiers past their appointment and not finished.") var overdue = false
    @Option(name: .customLong("due-within"), help: "Only unfinished dossiers due within N working days (not yet overdue).")
    var dueWithin: Int?
    @Option(help: "At most this many rows.") var limit = 200
    @Flag(help: "One JSON object per line.") var json = false

    func run() throws {
        var filter = DossierFilter(limit: limit)
        if let status {
            guard let parsed = DossierStatus(argument: status) else {
                throw ValidationError("--status: expected a code 1–10, a name such as processing, or forwarded; found \(status)")
            }
            filter.status = parsed
        }
        let node = try NodeContext(data)
        let now = Int64(NodeContext.wallMilliseconds())
        if overdue { filter.overdueAt = now }
        if let dueWithin {
            guard dueWithin >= 0 else { throw ValidationError("--due-within: expected a number of working days ≥ 0, found \(dueWithin)") }
            filter.dueBetween = now...node.workflow.workingTime.endOfWorkingDays(dueWithin, after: LocalDate(vietnamTimeOf: now))
        }
        let rows = try node.log.dossiers(filter)
        if json {
            for row in rows { print(CanonicalJSON.string(row.json(now: now))) }
            return
        }
        print("CODE                  STATUS                     APPOINTMENT        PROCEDURE  APPLICANT")
        for row in rows {
            var status = row.status?.vietnamese ?? "?"
            if row.statusConflict { status += " (đang có xung đột)" } else if row.isOverdue(at: now) { status += " (quá hạn)" }
            let appointment = row.appointment.map(LocalDate.vietnameseDateTime) ?? "—"
            print("\(pad(row.code, 21)) \(pad(status, 26)) \(pad(appointment, 18)) \(pad(row.procedureCode, 10)) \(row.applicantName)")
        }
        print("\(rows.count) dossier(s)")
        // At a hub the list is the projector's output, which trails what was just stored.
        if node.directory.role == .hub {
            let progress = try node.hubService().projectorProgress()
            if progress.projected < progress.stored {
                print("(the projector has \(progress.stored - progress.projected) stored event(s) still to fold; the list catches up within seconds)")
            }
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// `dossier show CODE`.
struct DossierShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a dossier: state, owner, hand-over history with early/on-time/late, conflicts.")

    @OptionGroup var data: DataDirectoryOptions
    @Argument(help: "The dossier code.") var code: String
    @Flag(help: "Print the folded state as canonical JSON.") var json = false

    func run() throws {
        let node = try NodeContext(data)
        let state = try node.dossier(code)
        if json {
            print(CanonicalJSON.string(state.json))
            return
        }
        let now = Int64(NodeContext.wallMilliseconds())
        print(DossierReport.text(state, staffNames: node.staffNames, now: now), terminator: "")
        // At a hub: what the offices that see the dossier have not pulled yet, and for how long.
        if node.directory.role == .hub {
            let waiting = try node.hubService().undelivered(dossier: code)
            print(waiting.isEmpty ? "Undelivered none: every office that sees it has pulled every event" : "Undelivered")
            for entry in waiting {
                print("  to \(entry.node): \(entry.origin)-\(entry.seq) \(entry.type), made \(StatusReport.age(now - entry.at)) ago")
            }
        }
    }
}

/// `dossier receipt CODE`: prints the receipt again.
struct DossierReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "receipt", abstract: "Print a dossier's receipt again.")

    @OptionGroup var data: DataDirectoryOptions
    @Argument(help: "The dossier code.") var code: String

    func run() throws {
        let node = try NodeContext(data)
        let state = try node.dossier(code)
        print(Receipt.text(state, staffNames: node.staffNames), terminator: "")
    }
}

/// `dossier print CODE --form receipt|supplement|apology|control [--html]`.
struct DossierPrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Print a dossier's document in Vietnamese: receipt (Mẫu 01), supplement request (Mẫu 02), apology (Mẫu 04) or control slip.",
        discussion: "--html writes a printable page (A5) to standard output; save it and open it in a browser to print.")

    @OptionGroup var data: DataDirectoryOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "receipt, supplement, apology or control.") var form: DossierForms.Form = .receipt
    @Flag(help: "Print an HTML page instead of text.") var html = false

    func run() throws {
        let node = try NodeContext(data)
        let state = try node.dossier(code)
        let events = try node.log.events(ofDossier: code)
        let document: PrintedDocument
        do {
            document = try DossierForms.document(
                form, state: state, events: events, names: DossierForms.Names(staff: node.staffNames, offices: node.officeNames))
        } catch {
            FileHandle.standardError.write(Data("error: --form \(form.rawValue): \(error.description)\n".utf8))
            throw ExitCode(65)
        }
        FileHandle.standardOutput.write(Data((html ? document.html : document.text).utf8))
    }
}

extension DossierForms.Form: ExpressibleByArgument {}
