import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Scenario 6, second part: the disk fails. `node run` runs under `fiu-run -x` (Debian's
/// fiu-utils: libfiu's POSIX preload); while the clerk works, `fiu-ctrl` makes every `fsync` and
/// `fdatasync` fail (`posix/io/sync/*`: SQLite syncs its write-ahead log with fdatasync), then
/// lets them succeed again. Each receipt refused meanwhile must get a clear answer (503
/// `disk-error`, saying to send it again), `node run` must keep running, nothing acknowledged may
/// be lost, and, once the disk works, the same requests sent again with their Idempotency-Keys
/// must each be saved exactly once.
enum IOError {
    static let scenario = Scenario(
        number: 6, name: "io-error", summary: "the node's disk fails its syncs while the clerk works (fiu), then recovers",
        control: .acknowledgeFailedWrites, controlMeaning: "the local API answers 201 to a receipt the failing disk refused",
        controlKind: .lostAcknowledged
    ) { options, random in try run(options, &random) }

    static let failure = "posix/io/sync/*"

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fiu-run"), FileManager.default.isExecutableFile(atPath: "/usr/bin/fiu-ctrl") else {
            throw Violation("fiu-run is missing: run Scripts/install-deps.sh (it installs the Debian package fiu-utils)")
        }
        let refusals = options.quick ? 5 : 50
        let site = try ProcessSite(prefix: "lienthong-chaos-io-error")
        defer { site.remove() }
        let (node, agency, office) = NodeKill.node
        try site.initHub()
        try site.startHub()
        try site.initNode(node, agency: agency, office: office)
        try site.enroll(node)
        // fiu-run execs `lienthong` in its own process: the pid stays lienthong's.
        let running = try site.startNode(node, environment: options.environment, wrapper: ["/usr/bin/fiu-run", "-x"], wrapperForks: false)
        defer { running.process.kill9() }
        let before = CounterClerk(running, limit: 20).finish()
        guard before.count == 20 else { throw Violation("only \(before.count) of 20 receipts were taken before the fault") }

        // The disk fails: each receipt refused, clearly, and nothing acknowledged.
        try control("enable name=\(failure)", pid: running.process.pid)
        var refused: [URLRequest] = []
        var acknowledged: [String] = []
        var answers: [String: Int] = [:]
        for index in 1...refusals {
            let request = LocalAPIRequests.receipt(api: running.api, token: running.token, applicant: "Trần Văn \(index)")
            let (status, body) = try Exchanges.send(request)
            let text = String(decoding: body, as: UTF8.self)
            answers["\(status)", default: 0] += 1
            if status == 201 {
                // Acknowledged although the disk fails: it had better be saved (the control's bug
                // answers 201 with a made-up dossier).
                guard let code = try? JSONParser.parse(Array(body))["dossier"]?["code"]?.stringValue else {
                    throw Violation("a 201 without a dossier: \(text)")
                }
                acknowledged.append(code)
                continue
            }
            guard status == 503, text.contains("disk-error"), text.contains("send the same request again") else {
                throw Violation("with the disk failing, the clerk was told \(status) \(text.prefix(300)), not that the disk failed and to send it again")
            }
            refused.append(request)
        }
        guard running.process.process.isRunning else { throw Violation("node run died when its disk failed: \(running.process.stderr.suffix(500))") }
        guard try DiskFull.live(running) else { throw Violation("node run no longer answers /health/live while its disk fails") }

        // The disk works again: the refused requests, sent again as they were, are each saved once.
        try control("disable name=\(failure)", pid: running.process.pid)
        var retried: [String] = []
        for request in refused {
            let (status, body) = try Exchanges.send(request)
            guard status == 201, let code = try? JSONParser.parse(Array(body))["dossier"]?["code"]?.stringValue else {
                throw Violation(
                    "a refused receipt sent again after the disk recovered answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
            }
            retried.append(code)
        }
        let after = CounterClerk(running, limit: 20).finish()
        guard after.count == 20 else { throw Violation("only \(after.count) of 20 receipts were taken after the disk recovered") }
        try Invariants.waitForConvergence(site, [node], timeout: .seconds(120))
        guard running.process.terminate() == 0 else { throw Violation("node run did not stop cleanly: \(running.process.stderr.suffix(300))") }

        let database = try site.database(node)
        for code in before + acknowledged + retried + after where try database.dossier(code) == nil {
            throw Violation(.lostAcknowledged, "dossier \(code) was acknowledged (201) but is not saved")
        }
        let saved = try DiskFull.savedDossiers(site.directory(node) + "/node.sqlite")
        let expected = Set(before + retried + after)
        guard saved == expected, expected.count == before.count + refused.count + after.count else {
            throw Violation(
                .diverged, "the node holds \(saved.count) dossiers; \(expected.count) were acknowledged (a refused request saved twice, or one lost)")
        }
        // After the lost-acknowledgement checks, so that the control fails on those first.
        guard !refused.isEmpty else { throw Violation("no receipt was refused while the syncs were to fail: the fault did not happen") }
        let events = try Invariants.hubHoldsChain(site, node)
        try Invariants.intact(site.directory(node) + "/node.sqlite", node)
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        let dossiers = try Invariants.sameState(site, [node])
        let told = answers.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
        return "with every sync failing (\(failure)), \(refusals) receipts were answered \(told) (disk-error, send again); node run kept running; "
            + "sent again after recovery, each was saved once; 0 acknowledged lost; \(events) events at the hub, each once; \(dossiers) dossiers at one state hash"
    }

    /// `fiu-ctrl -c COMMAND PID`: switches a failure point of the running process.
    static func control(_ command: String, pid: Int32) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/fiu-ctrl")
        process.arguments = ["-c", command, String(pid)]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Violation("fiu-ctrl -c '\(command)' \(pid) failed: \(String(decoding: message, as: UTF8.self))") }
    }
}
