import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting

/// Scenario 7: clock skew with running daemons. Ma Lâm's machine is a day behind and Phú Long's a
/// day ahead (`faketime`, with the monotonic clock left real so timeouts keep real time); the hub
/// is on time. Each commune's clerk receives dossiers through the local API while `node run`
/// pushes them, and forwards some to the district, which decides them at its own time; the results
/// come back and are handed over. Every replica must reach one state hash per dossier with no
/// conflict, and the hub must report each commune's skew (±1 day).
///
/// `faketime` starts `lienthong` as its child and passes no signal on: the processes are stopped by
/// the child's own pid (``CLIProcess/Running/lienthongPID``).
enum ClockSkew {
    static let scenario = Scenario(
        number: 7, name: "clock-skew", summary: "communes a day behind and a day ahead of the hub, daemons running: one state hash, skew reported",
        control: .foldStampsLocalDate,
        controlMeaning: "each replica takes its own date into the state hash; replicas a day apart disagree",
        controlKind: .diverged
    ) { options, random in try run(options, &random) }

    static let communes = [
        ("xa-23059", "23059", "UBND thị trấn Ma Lâm", "-1d", -86_400_000), ("xa-23062", "23062", "UBND thị trấn Phú Long", "+1d", 86_400_000),
    ]

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime") else {
            throw Violation("faketime is missing: run Scripts/install-deps.sh (it installs the Debian package faketime)")
        }
        let receipts = options.quick ? 10 : 100
        let forwarded = options.quick ? 2 : 10
        let site = try ProcessSite(prefix: "lienthong-chaos-clock-skew")
        defer { site.remove() }
        try site.initHub()
        try site.startHub(environment: options.environment)
        let environment = options.environment.merging(["DONT_FAKE_MONOTONIC": "1"]) { _, new in new }
        var running: [ProcessSite.Node] = []
        defer { for node in running { node.process.kill9() } }
        var forwards: [(node: String, code: String)] = []
        let start = ContinuousClock.now
        for (node, agency, office, offset, _) in communes {
            let clock = ["/usr/bin/faketime", "-f", offset]
            try site.initNode(node, agency: agency, office: office, environment: environment, wrapper: clock)
            try site.enroll(node, environment: environment, wrapper: clock)
            let daemon = try site.startNode(node, environment: environment, wrapper: clock)
            running.append(daemon)
            let clerk = CounterClerk(daemon, limit: receipts)
            // Meanwhile, at the same machine, dossiers for the district: received, assigned and
            // forwarded with the CLI (another process writing the database the daemon pushes).
            for index in 0..<forwarded {
                let receipt = try site.run(receiveArguments(site.directory(node), applicant: "Lê Thị \(index)"), environment: environment, wrapper: clock)
                guard let code = receipt.stdout.split(whereSeparator: \.isWhitespace).map(String.init).first(where: { $0.hasPrefix(agency + "-") }) else {
                    throw Violation("dossier receive at \(node) printed no dossier code: \(receipt.stdout.prefix(300))")
                }
                try site.run(
                    ["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", site.directory(node)],
                    environment: environment, wrapper: clock)
                try site.run(
                    ["dossier", "forward", code, "--to", "597", "--actor", "cb-tuphap-01", "--data-dir", site.directory(node)], environment: environment,
                    wrapper: clock)
                forwards.append((node, code))
            }
            let codes = clerk.finish()
            if let failure = clerk.failure { throw Violation("the local API at \(node) answered \(failure)") }
            guard codes.count == receipts else { throw Violation("the clerk at \(node) stopped after \(codes.count) of \(receipts) receipts: node run died") }
        }
        let names = communes.map(\.0)
        try Invariants.waitForConvergence(site, names, timeout: .seconds(120))

        // The district decides at its own (true) time: a day after Phú Long's forward by that
        // machine's clock, a day before Ma Lâm's.
        for (_, code) in forwards {
            try site.run(["hub", "dossier", "accept", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDirectory])
            try site.run(["hub", "dossier", "resolve", code, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDirectory])
            try site.run(["hub", "dossier", "send-result", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDirectory])
        }
        // The results reach the communes through their daemons' pulls; each is handed over.
        for (node, code) in forwards {
            let database = try site.database(node)
            try Eventually.wait(for: "\(code)'s result at \(node)", timeout: .seconds(120), interval: .milliseconds(100)) {
                try database.dossier(code)?.status == .resolved
            }
            try site.run(
                ["dossier", "return", code, "--actor", "cb-tiepnhan-01", "--data-dir", site.directory(node)], environment: environment,
                wrapper: ["/usr/bin/faketime", "-f", communes.first { $0.0 == node }!.3])
        }
        try Invariants.waitForConvergence(site, names, timeout: .seconds(120))
        let seconds = (ContinuousClock.now - start).seconds
        for node in running {
            let status = node.process.terminate()
            guard status == 0 else { throw Violation("node run under faketime stopped with status \(status): \(node.process.stderr.suffix(500))") }
        }

        var events = 0
        for node in names {
            events += try Invariants.hubHoldsChain(site, node)
            try Invariants.intact(site.directory(node) + "/node.sqlite", node)
        }
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        let dossiers = try Invariants.sameState(site, names)
        let hub = try site.hubDatabase()
        for (node, code) in forwards {
            guard let state = try hub.dossier(code) else { throw Violation(.diverged, "\(code) of \(node) is not at the hub") }
            guard state.status == .returned else {
                throw Violation(.diverged, "\(code) of \(node) is \(state.status?.rawValue ?? "nil") at the hub, not returned")
            }
        }
        for database in try [hub as any EventLogDatabase] + names.map({ try site.database($0) as any EventLogDatabase }) {
            let open = try database.conflicts(openOnly: false).count
            guard open == 0 else { throw Violation(.diverged, "\(open) conflicts after the run: the skew made a spurious conflict") }
        }

        // The skew, as the hub measured it at each contact (node minus hub).
        let table = try JSONParser.parse(try site.run(["hub", "nodes", "--json", "--data-dir", site.hubDirectory]).stdout)
        guard case .array(let rows)? = table["nodes"] else { throw Violation("hub nodes --json printed no nodes: \(table)") }
        var reported: [String] = []
        for (node, _, _, offset, milliseconds) in communes {
            guard let skew = rows.first(where: { $0["node"]?.stringValue == node })?["skewMs"]?.integerValue else {
                throw Violation("hub nodes reports no skew for \(node)")
            }
            guard abs(skew - milliseconds) < 120_000 else { throw Violation("hub nodes reports \(node)'s skew as \(skew) ms; its clock is \(offset)") }
            reported.append("\(node) \(format(Double(skew) / 3_600_000)) h")
        }
        let status = try CLIProcess.run(["hub", "status", "--json", "--data-dir", site.hubDirectory])
        guard status.stdout.contains("\"clock-skew\"") else { throw Violation("hub status does not report the skew: \(status.stdout.prefix(500))") }
        return "2 communes (−1 d, +1 d), \(receipts) receipts each through the local API and \(forwarded) forwarded, decided and returned each; "
            + "\(events) events at the hub, each once; \(dossiers) dossiers at one state hash, 0 conflicts; skew reported: \(reported.joined(separator: ", ")), "
            + "hub status clock-skew; \(format(seconds)) s"
    }

    /// `dossier receive` of a procedure the district decides (1.001776).
    static func receiveArguments(_ directory: String, applicant: String) -> [String] {
        [
            "dossier", "receive", "--actor", "cb-tiepnhan-01", "--procedure", "1.001776", "--applicant", applicant, "--id-number", "060185004321",
            "--phone", "0987 654 321", "--address", "thôn Lâm Hòa", "--document", "Tờ khai đề nghị trợ cấp xã hội", "--channel", "counter",
            "--data-dir", directory,
        ]
    }
}
