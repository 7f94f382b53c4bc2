import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

/// The dossier commands through the built binary, on real files.
@Suite struct DossierEndToEndTests {
    /// The CLI's dossier commands are the workflow's catalogue (WorkflowAction), as the local API's
    /// routes are: every action is a `lienthong dossier` command that says what the catalogue says.
    /// (`update-contact` is the CLI's `update`, which also corrects intake fields.)
    @Test func everyActionOfTheCatalogueIsADossierCommand() throws {
        for action in WorkflowAction.all where action.name != "update-contact" {
            let help = try CLIProcess.run(["dossier", action.name, "--help"])
            #expect(help.status == 0, "\(action.name): \(help.stderr)")
            #expect(help.stdout.contains(String(action.summary.prefix(30))), "\(action.name): \(help.stdout.prefix(200))")
        }
    }

    typealias Node = NodeLogEndToEndTests.Node

    static func receiveArguments(_ node: Node, overriding: [String: String] = [:], dropping: String? = nil) -> [String] {
        receiveArguments(dataDir: node.dataDir, overriding: overriding, dropping: dropping)
    }

    /// `dossier receive` for the node in `dataDir`, with a valid intake unless told otherwise.
    static func receiveArguments(dataDir: String, overriding: [String: String] = [:], dropping: String? = nil) -> [String] {
        var options: [(String, String)] = [
            ("--actor", "cb-tiepnhan-01"), ("--procedure", "1.001776"), ("--applicant", "Trần Thị Bích"), ("--id-number", "060185004321"),
            ("--phone", "0987 654 321"), ("--address", "thôn Lâm Hòa, thị trấn Ma Lâm"), ("--document", "Tờ khai đề nghị trợ cấp xã hội"),
            ("--channel", "counter"),
        ]
        options = options.filter { $0.0 != dropping }.map { ($0.0, overriding[$0.0] ?? $0.1) }
        return ["dossier", "receive", "--data-dir", dataDir] + options.flatMap { [$0.0, $0.1] }
    }

    /// The code printed on a receipt.
    static func code(in receipt: String) -> String? {
        receipt.split(separator: "\n").first { $0.contains("Mã hồ sơ:") }.map {
            String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces)
        }
    }

    @Test func receiveProcessForwardShow() throws {
        let node = try Node()
        defer { node.remove() }
        let receipt = try CLIProcess.run(Self.receiveArguments(node))
        #expect(receipt.status == 0, "\(receipt.stderr)")
        #expect(receipt.stdout.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"))
        #expect(receipt.stdout.contains("Trần Thị Bích"))
        #expect(receipt.stdout.contains("Thời gian trả kết quả giải quyết hồ sơ:"))
        let code = try #require(Self.code(in: receipt.stdout))
        let today = TestDate.today
        #expect(code.hasPrefix("23059-") && code.hasSuffix("-0001"))
        #expect(code.contains(today.compact) || code.contains(today.adding(days: -1).compact))

        let process = try CLIProcess.run(["dossier", "process", code, "--data-dir", node.dataDir, "--actor", "cb-tiepnhan-01", "--to", "cb-tuphap-01"])
        #expect(process.status == 0, "\(process.stderr)")
        #expect(process.stdout.contains("Đang xử lý"))
        let forward = try CLIProcess.run(["dossier", "forward", code, "--data-dir", node.dataDir, "--actor", "cb-tuphap-01", "--to", "597"])
        #expect(forward.status == 0, "\(forward.stderr)")
        #expect(forward.stdout.contains("Đã chuyển liên thông"))

        let show = try CLIProcess.run(["dossier", "show", code, "--data-dir", node.dataDir])
        #expect(show.status == 0)
        #expect(show.stdout.contains("Owner       hub-597"))
        #expect(show.stdout.contains("Hand-overs (Phiếu kiểm soát quá trình giải quyết hồ sơ)"))
        #expect(show.stdout.contains("Trước hạn") || show.stdout.contains("Đúng hạn") || show.stdout.contains("Quá hạn"))
        let json = try CLIProcess.run(["dossier", "show", code, "--data-dir", node.dataDir, "--json"])
        let state = try JSONParser.parse(Array(json.stdout.trimmingCharacters(in: .newlines).utf8))
        #expect(state["status"]?.stringValue == "forwarded")
        #expect(state["owner"]?.stringValue == "hub-597")
        guard case .array(let handovers)? = state["handovers"] else {
            Issue.record("no handovers")
            return
        }
        #expect(handovers.count == 2)
        #expect(handovers.allSatisfy { $0["completedAt"]?.integerValue != nil && $0["outcome"]?.stringValue != nil })

        let list = try CLIProcess.run(["dossier", "list", "--data-dir", node.dataDir, "--status", "forwarded", "--json"])
        #expect(list.stdout.split(separator: "\n").count == 1)
        #expect(list.stdout.contains(code))
        #expect(try node.verify().status == 0)
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: @Sendable (Node, String) -> [String]
        var message: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "missing applicant name", arguments: { node, _ in receiveArguments(node, dropping: "--applicant") }, message: "--applicant"),
        BadInput(
            name: "unknown procedure code", arguments: { node, _ in receiveArguments(node, overriding: ["--procedure": "9.999999"]) }, message: "--procedure"),
        BadInput(name: "actor not on the staff list", arguments: { node, _ in receiveArguments(node, overriding: ["--actor": "ke-gian"]) }, message: "--actor"),
        BadInput(name: "bad ID number", arguments: { node, _ in receiveArguments(node, overriding: ["--id-number": "12ab"]) }, message: "--id-number"),
        BadInput(
            name: "malformed date",
            arguments: { node, code in
                ["dossier", "extend", code, "--data-dir", node.dataDir, "--actor", "cb-tiepnhan-01", "--until", "31/02/2027", "--reason", "chậm"]
            },
            message: "--until"),
        BadInput(
            name: "unknown dossier code",
            arguments: { node, _ in
                ["dossier", "process", "23059-991231-0001", "--data-dir", node.dataDir, "--actor", "cb-tiepnhan-01", "--to", "cb-tuphap-01"]
            },
            message: "unknown dossier code"),
        BadInput(
            name: "a transition the state forbids",
            arguments: { node, code in ["dossier", "return", code, "--data-dir", node.dataDir, "--actor", "cb-tiepnhan-01"] },
            message: "not allowed"),
        BadInput(
            name: "unknown officer to hand over to",
            arguments: { node, code in ["dossier", "process", code, "--data-dir", node.dataDir, "--actor", "cb-tiepnhan-01", "--to", "ke-gian"] },
            message: "--to"),
        BadInput(
            name: "forward to an unknown agency",
            arguments: { node, code in ["dossier", "forward", code, "--data-dir", node.dataDir, "--actor", "cb-tiepnhan-01", "--to", "99999"] },
            message: "--to"),
    ]

    @Test(arguments: badInputs)
    func badInputExitsNonZeroNamingTheProblemAndChangesNothing(_ bad: BadInput) throws {
        let node = try Node()
        defer { node.remove() }
        let receipt = try CLIProcess.run(Self.receiveArguments(node))
        let code = try #require(Self.code(in: receipt.stdout))
        let database = try NodeDatabase(path: node.dataDir + "/node.sqlite")
        let before = (try database.eventCount(), try database.head(origin: "xa-23059")?.hash)
        let result = try CLIProcess.run(bad.arguments(node, code))
        #expect(result.status != 0)
        #expect(result.stderr.contains(bad.message), "stderr: \(result.stderr)")
        let after = (try database.eventCount(), try database.head(origin: "xa-23059")?.hash)
        #expect(before.0 == after.0)
        #expect(before.1 == after.1)
    }

    @Test func twoProcessesReceiving200EachGet400DistinctCodesWithNoGap() throws {
        let node = try Node()
        defer { node.remove() }
        let writers = try (0..<2).map { index in
            try CLIProcess.Running(["demo", "load", "--dossiers", "200", "--receive-only", "--seed", String(index), "--data-dir", node.dataDir])
        }
        for writer in writers {
            _ = writer.remainingLines()
            #expect(writer.wait() == 0, "\(writer.stderr)")
        }
        let database = try NodeDatabase(path: node.dataDir + "/node.sqlite")
        let codes = try database.dossiers(DossierFilter(limit: 10_000)).map(\.code)
        #expect(codes.count == 400)
        #expect(Set(codes).count == 400)
        // One agency, and one Vietnam day unless the run straddled midnight: counters 1…400 per day, no gap.
        var byDay: [String: [Int]] = [:]
        for code in codes {
            let parts = try #require(DossierCode.parse(code))
            byDay[parts.date, default: []].append(parts.counter)
        }
        for counters in byDay.values { #expect(counters.sorted() == Array(1...counters.count)) }
        #expect(try node.verify().status == 0)
    }

    @Test(arguments: ["UTC", "America/New_York", "Pacific/Kiritimati"])
    func codesAndAppointmentsUseVietnamTimeWhateverTheMachinesZone(zone: String) throws {
        let node = try Node()
        defer { node.remove() }
        let before = TestDate.today
        let result = try CLIProcess.run(Self.receiveArguments(node) + ["--json"], environment: ["TZ": zone])
        let after = TestDate.today
        #expect(result.status == 0, "\(result.stderr)")
        let state = try JSONParser.parse(Array(result.stdout.trimmingCharacters(in: .newlines).utf8))
        let code = try #require(state["code"]?.stringValue)
        #expect(code.contains("-\(before.compact)-") || code.contains("-\(after.compact)-"))
        // The appointment is a working-day close or a time within office hours, in Vietnam time.
        let appointment = try #require(state["appointment"]?.integerValue)
        let minute = LocalDate.minuteOfDay(vietnamTimeOf: Int64(appointment))
        #expect((7 * 60...17 * 60).contains(minute))
    }

    @Test func rebuildYieldsIdenticalProjections() throws {
        let node = try Node()
        defer { node.remove() }
        let load = try CLIProcess.run(["demo", "load", "--dossiers", "40", "--data-dir", node.dataDir])
        #expect(load.status == 0, "\(load.stderr)")
        let before = try NodeDatabase(path: node.dataDir + "/node.sqlite").projectionRows()
        #expect(before.filter { $0.hasPrefix("dossierView") }.count == 40)
        let rebuild = try CLIProcess.run(["node", "rebuild", "--data-dir", node.dataDir])
        #expect(rebuild.status == 0)
        #expect(rebuild.stdout.contains("40 dossier(s)"))
        #expect(try NodeDatabase(path: node.dataDir + "/node.sqlite").projectionRows() == before)
    }
}
