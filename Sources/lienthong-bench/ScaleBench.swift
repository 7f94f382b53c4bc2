import ArgumentParser
import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync
import LienThongTesting
import LienThongWire
import Logging
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `lienthong-bench serve-hub`: a hub in a process of its own, so its resident memory is its own
/// (the scale measurement starts it, reads /proc/PID/status, and stops it with SIGTERM). It issues
/// an enrolment token per synthetic commune and writes them, with its port, to `--ready-file` once
/// it listens.
struct ServeHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-hub", abstract: "A benchmark hub in its own process (used by the scale measurement).", shouldDisplay: false)

    // Not `--directory`: the root command's option of that name would take it.
    @Option var hubDirectory: String
    @Option var communes: Int
    @Option var readyFile: String
    @Option(help: "Publish a calendar (it reaches every feed) once this file exists.") var publishWhen: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let root = URL(fileURLWithPath: hubDirectory)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let topology = root.appendingPathComponent("topology.json")
        try Workload.topology(communes: communes).write(to: topology)
        let prepared = try LiveHub.makeService(directory: root.appendingPathComponent("hub"), topology: topology)
        let service = prepared.service
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var tokens: [String: JSONValue] = [:]
        for agency in Workload.agencies(communes) {
            tokens["xa-\(agency)"] = .string(try service.issueEnrolmentToken(node: "xa-\(agency)", now: now))
        }
        let hub = try await LiveHub.serve(prepared)
        let ready = URL(fileURLWithPath: readyFile)
        try Data(CanonicalJSON.encode(["port": .integer(hub.port), "tokens": .object(tokens)])).write(to: ready.appendingPathExtension("tmp"))
        // Renamed into place, so the bench never reads half a file.
        try FileManager.default.moveItem(at: ready.appendingPathExtension("tmp"), to: ready)
        if let publishWhen {
            while !FileManager.default.fileExists(atPath: publishWhen) { try await Task.sleep(for: .milliseconds(50)) }
            let calendar = try Fixtures.calendarFile(version: "bench-2")
            _ = try service.publish(
                .calendar, content: calendar, file: "bench-calendar.json", actor: "vh-hethong",
                wallMilliseconds: { UInt64(Date().timeIntervalSince1970 * 1000) })
        }
        // Until the bench stops it (SIGTERM).
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

/// Many communes with their links up, long-polling one hub for `seconds`: each enrols, pulls in a
/// loop (a long-poll whenever its feed has nothing new), and pushes one batch at a random moment;
/// halfway, the hub publishes a calendar, which wakes every waiting poll at once. Counts every
/// answer that is not a 200 and every transport failure as an error, and reads the hub process's
/// resident memory.
enum Scale {
    struct Figures {
        var communes: Int
        var enrolSeconds: Double
        var pulls: Int
        var pushes: Int
        var errors: Int
        var firstError: String?
        var communesGotPublication: Int
        var peakResidentBytes: Int
        var residentAtEndBytes: Int
    }

    static func measure(communes count: Int, seconds: Int, directory: URL) async throws -> Figures {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ready = directory.appendingPathComponent("ready.json")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = [
            "serve-hub", "--hub-directory", directory.appendingPathComponent("hub").path, "--communes", "\(count)", "--ready-file", ready.path,
            "--publish-when", directory.appendingPathComponent("publish").path,
        ]
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        let pid = process.processIdentifier
        let started = ContinuousClock.now
        while !FileManager.default.fileExists(atPath: ready.path) {
            guard process.isRunning, ContinuousClock.now - started < .seconds(300) else { throw BenchError(description: "the benchmark hub did not start") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let answer = try JSONParser.parse(Array(try Data(contentsOf: ready)))
        guard let port = answer["port"]?.integerValue, let tokens = answer["tokens"]?.objectValue else {
            throw BenchError(description: "the benchmark hub wrote no port")
        }
        let base = URL(string: "http://127.0.0.1:\(port)")!

        // Enrolment, one commune after another, as the real client does it.
        let workload = try Workload.events(communes: count, total: count * 12)
        let enrolStart = ContinuousClock.now
        var credentials: [String] = []
        for commune in workload {
            guard let token = tokens[commune.origin]?.stringValue else { throw BenchError(description: "no token for \(commune.origin)") }
            let answer = try await HubClient(baseURL: base, credential: nil).enroll(
                EnrollRequest(node: commune.origin, token: token, epoch: commune.epoch, publicKey: commune.key.publicKey.hex))
            credentials.append(answer.credential)
        }
        let enrolSeconds = (ContinuousClock.now - enrolStart).seconds
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = count + 64
        configuration.timeoutIntervalForRequest = 120
        let session = URLSession(configuration: configuration)
        let tally = Tally()
        let deadline = ContinuousClock.now + .seconds(seconds)
        let sampler = Task {
            while !Task.isCancelled {
                if let rss = resident(pid: pid) { tally.peak.withLock { $0 = max($0, rss) } }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let publisher = Task {
            try await Task.sleep(for: .seconds(seconds / 2))
            try Data().write(to: directory.appendingPathComponent("publish"))
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, commune) in workload.enumerated() {
                let credential = credentials[index]
                let body = try? Data(Gzip.compress(PushRequest(node: commune.origin, batches: commune.batches).bytes))
                let origin = commune.origin
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    let pushAt = ContinuousClock.now + .milliseconds(Int.random(in: 0...(seconds * 500), using: &generator))
                    var pushed = false
                    var since = 0
                    var sawPublication = false
                    while ContinuousClock.now < deadline {
                        if !pushed, ContinuousClock.now >= pushAt, let body {
                            pushed = true
                            var request = URLRequest(url: base.appendingPathComponent(SyncPaths.push))
                            request.httpMethod = "POST"
                            request.setValue("Bearer \(credential)", forHTTPHeaderField: "Authorization")
                            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                            request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
                            do {
                                let (data, response) = try await session.upload(for: request, from: body)
                                if (response as? HTTPURLResponse)?.statusCode == 200 {
                                    tally.counts.withLock { $0.pushes += 1 }
                                } else {
                                    tally.failed(
                                        "push of \(origin): \((response as? HTTPURLResponse)?.statusCode ?? 0) \(String(decoding: data.prefix(200), as: UTF8.self))"
                                    )
                                }
                            } catch {
                                tally.failed("push of \(origin): \(error)")
                            }
                        }
                        // Long-poll until the push is due or the run ends.
                        let remaining = deadline - ContinuousClock.now
                        let untilPush = pushed ? remaining : min(remaining, pushAt - ContinuousClock.now)
                        let wait = max(0, min(20, Int(untilPush.seconds)))
                        var components = URLComponents(url: base.appendingPathComponent(SyncPaths.pull), resolvingAgainstBaseURL: false)!
                        components.queryItems = [
                            URLQueryItem(name: "node", value: origin), URLQueryItem(name: "since", value: "\(since)"),
                            URLQueryItem(name: "limit", value: "500"), URLQueryItem(name: "wait", value: "\(wait)"),
                        ]
                        var request = URLRequest(url: components.url!)
                        request.setValue("Bearer \(credential)", forHTTPHeaderField: "Authorization")
                        request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
                        do {
                            let (data, response) = try await session.data(for: request)
                            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                                tally.failed(
                                    "pull of \(origin): \((response as? HTTPURLResponse)?.statusCode ?? 0) \(String(decoding: data.prefix(200), as: UTF8.self))"
                                )
                                try? await Task.sleep(for: .seconds(1))
                                continue
                            }
                            let bytes = [UInt8](data)
                            let page = try PullPage(bytes: Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, limit: 1 << 26) : bytes)
                            tally.counts.withLock { $0.pulls += 1 }
                            if !sawPublication, page.entries.contains(where: { $0.event.type == "calendar.published" }) {
                                sawPublication = true
                                tally.counts.withLock { $0.published += 1 }
                            }
                            since = page.to
                            if wait == 0 && page.entries.isEmpty { try? await Task.sleep(for: .milliseconds(200)) }
                        } catch {
                            tally.failed("pull of \(origin): \(error)")
                            try? await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
        }
        sampler.cancel()
        try await publisher.value
        let atEnd = resident(pid: pid) ?? 0
        let highWater = status(pid: pid, field: "VmHWM:") ?? 0
        process.terminate()
        process.waitUntilExit()
        let (errorCount, firstError) = tally.errors.withLock { ($0.count, $0.first) }
        let (pulls, pushes, published) = tally.counts.withLock { ($0.pulls, $0.pushes, $0.published) }
        return Figures(
            communes: count, enrolSeconds: enrolSeconds, pulls: pulls, pushes: pushes, errors: errorCount, firstError: firstError,
            communesGotPublication: published, peakResidentBytes: max(tally.peak.withLock { $0 }, highWater), residentAtEndBytes: atEnd)
    }

    /// What the communes counted, shared by their tasks.
    final class Tally: Sendable {
        let errors = Mutex((count: 0, first: String?.none))
        let counts = Mutex((pulls: 0, pushes: 0, published: 0))
        let peak = Mutex(0)

        @Sendable func failed(_ what: String) {
            errors.withLock {
                $0.count += 1
                if $0.first == nil { $0.first = what }
            }
        }
    }

    static func resident(pid: Int32) -> Int? { status(pid: pid, field: "VmRSS:") }

    /// A `kB` field of /proc/PID/status, in bytes.
    static func status(pid: Int32, field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let number = line.dropFirst(field.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first
            return number.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }
}
