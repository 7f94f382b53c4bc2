import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import Testing

/// Clock skew with real processes under `faketime` (`DONT_FAKE_MONOTONIC=1`, so timeouts keep
/// real time): Ma Lâm's machine a day behind, Phú Long's a day ahead, the hub on time. Each
/// commune's receive → forward → decide → return chain must fold with no spurious conflict, every
/// replica must reach the hub's state hash, and the skew must show in `hub nodes` and make `status`
/// CRITICAL at the node and at the hub. The faked processes are one-shot commands (`node sync`, not
/// a daemon): `faketime` runs `lienthong` as its child, so its pid is not `lienthong`'s.
@Suite(.serialized) struct ClockSkewEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// The `faketime` wrapper that moves the machine's wall clock by `offset` ("-1d", "+1d"), under
    /// the tests' clock (``TestDate``) on which the hub runs: the two add up. Preloading
    /// libfaketime by hand loses a Swift program's arguments, the wrapper does not.
    struct Clock {
        let offset: String
        var wrapper: [String] { ["/usr/bin/faketime", "-f", offset] }
    }

    /// Runs `lienthong arguments…` with its clock moved and requires exit 0.
    @discardableResult
    static func run(_ arguments: [String], _ clock: Clock, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try CLIProcess.run(arguments, environment: ["DONT_FAKE_MONOTONIC": "1"], wrapper: clock.wrapper)
        #expect(
            result.status == 0, "faketime -f \(clock.offset) lienthong \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    @Test func communesADayBehindAndADayAheadConvergeWithNoSpuriousConflictAndTheSkewIsCritical() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"),
            "faketime is missing: run Scripts/install-deps.sh (it installs the Debian package faketime)")
        let behind = Clock(offset: "-1d")
        let ahead = Clock(offset: "+1d")
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        let communes = [("xa-23059", "23059", "UBND thị trấn Ma Lâm", behind), ("xa-23062", "23062", "UBND thị trấn Phú Long", ahead)]
        try site.startHub()
        var codes: [String: String] = [:]
        for (node, agency, office, clock) in communes {
            try Self.run(
                [
                    "node", "init", "--config", Fixtures.packageRoot.path + "/Config/node.example.json", "--node-id", node, "--agency", agency,
                    "--office", office, "--data-dir", site.dir(node),
                ], clock)
            let token = try site.run(["hub", "enroll", node, "--data-dir", site.hubDir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try Self.run(["node", "enroll", "--hub", site.url, "--token", token, "--data-dir", site.dir(node)], clock)
            let receipt = try Self.run(DossierEndToEndTests.receiveArguments(dataDir: site.dir(node)), clock)
            let code = try #require(DossierEndToEndTests.code(in: receipt))
            codes[node] = code
            try Self.run(["dossier", "process", code, "--to", "cb-tuphap-01", "--actor", "cb-tiepnhan-01", "--data-dir", site.dir(node)], clock)
            try Self.run(["dossier", "forward", code, "--to", "597", "--actor", "cb-tuphap-01", "--data-dir", site.dir(node)], clock)
            try Self.run(["node", "sync", "--data-dir", site.dir(node)], clock)
        }
        // The district decides at its own (true) time: a day after Phú Long's forward by that
        // machine's clock, a day before Ma Lâm's.
        for code in codes.values {
            try site.run(["hub", "dossier", "accept", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
            try site.run(["hub", "dossier", "resolve", code, "--approve", "--actor", "ld-ubnd-huyen", "--data-dir", site.hubDir])
            try site.run(["hub", "dossier", "send-result", code, "--actor", "pb-tiepnhan-01", "--data-dir", site.hubDir])
        }
        for (node, _, _, clock) in communes {
            let code = try #require(codes[node])
            try Self.run(["node", "sync", "--data-dir", site.dir(node)], clock)
            #expect(try Self.run(["dossier", "show", code, "--data-dir", site.dir(node)], clock).contains("Đã có kết quả"), "\(node)")
            try Self.run(["dossier", "return", code, "--actor", "cb-tiepnhan-01", "--data-dir", site.dir(node)], clock)
            try Self.run(["node", "sync", "--data-dir", site.dir(node)], clock)
        }

        // One state, everywhere (the hub's projector folds what it stored in its own time), and no
        // conflict anywhere.
        let hub = try site.hubDatabase()
        for (node, _, _, clock) in communes {
            let code = try #require(codes[node])
            let local = try #require(try site.database(node).stateHashes()[code])
            try Eventually.wait(for: "\(node)'s \(code) folded at the hub to the node's state") { try hub.stateHashes()[code] == local }
            #expect(try hub.dossier(code)?.status == .returned, "\(node)")
            #expect(try Self.run(["conflicts", "list", "--all", "--json", "--data-dir", site.dir(node)], clock).isEmpty, "\(node)")
            #expect(try Self.run(["node", "log", "verify", "--data-dir", site.dir(node)], clock).contains("verified"), "\(node)")
        }
        #expect(try site.run(["conflicts", "list", "--all", "--json", "--data-dir", site.hubDir]).stdout.isEmpty)

        // The skew, measured at every contact: in `hub nodes`, and CRITICAL in both statuses.
        let nodes = try JSONParser.parse(site.run(["hub", "nodes", "--json", "--data-dir", site.hubDir]).stdout)
        guard case .array(let rows)? = nodes["nodes"] else {
            Issue.record("hub nodes --json: \(nodes)")
            return
        }
        let skews = Dictionary(uniqueKeysWithValues: rows.compactMap { row in row["node"]?.stringValue.map { ($0, row["skewMs"]?.integerValue) } })
        // Node minus hub: the machine a day behind is −1 day (to within the time a contact takes).
        #expect((skews["xa-23059"] ?? nil).map { abs($0 + 86_400_000) < 120_000 } == true, "\(skews)")
        #expect((skews["xa-23062"] ?? nil).map { abs($0 - 86_400_000) < 120_000 } == true, "\(skews)")
        let table = try site.run(["hub", "nodes", "--data-dir", site.hubDir]).stdout
        #expect(table.contains("−24 h") && table.contains("+24 h"), "\(table)")

        let hubStatus = try CLIProcess.run(["hub", "status", "--json", "--data-dir", site.hubDir])
        #expect(hubStatus.status == 2, "\(hubStatus.stdout)")
        #expect(try Self.finding("clock-skew", in: hubStatus.stdout)?["level"]?.stringValue == "CRITICAL", "\(hubStatus.stdout)")
        for (node, _, _, clock) in communes {
            let status = try CLIProcess.run(
                ["status", "--json", "--data-dir", site.dir(node)], environment: ["DONT_FAKE_MONOTONIC": "1"], wrapper: clock.wrapper)
            // (No daemon runs here, so the exit code is CRITICAL anyway; the finding's level is the check.)
            #expect(status.status == 2, "\(node): \(status.stdout)")
            #expect(try Self.finding("clock-skew", in: status.stdout)?["level"]?.stringValue == "CRITICAL", "\(node): \(status.stdout)")
            // The level follows the threshold: with CRITICAL only past 2 days, a day off is a WARNING.
            let lenient = try CLIProcess.run(
                ["status", "--json", "--skew-critical-after", "2d", "--data-dir", site.dir(node)], environment: ["DONT_FAKE_MONOTONIC": "1"],
                wrapper: clock.wrapper)
            #expect(try Self.finding("clock-skew", in: lenient.stdout)?["level"]?.stringValue == "WARNING", "\(node): \(lenient.stdout)")
        }
        #expect(site.hub?.terminate() == 0)
    }

    static func finding(_ code: String, in output: String) throws -> JSONValue? {
        guard case .array(let findings)? = try JSONParser.parse(output)["findings"] else { return nil }
        return findings.first { $0["code"]?.stringValue == code }
    }
}
