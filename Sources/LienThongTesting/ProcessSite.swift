import Foundation
import GRDB
import LienThongCore
import LienThongHub
import LienThongStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A hub and its communes as real `lienthong` processes in a scratch directory: what the fault
/// scenarios (`lienthong-chaos`) start, kill and restart. Every process is stopped by its own pid.
public final class ProcessSite {
    public let root: String
    /// The running hub, if started.
    public private(set) var hub: CLIProcess.Running?
    /// The hub's port, kept across restarts (0 until the first start picks a free one).
    public private(set) var port = 0

    public init(prefix: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    public var hubDirectory: String { root + "/hub" }
    public func directory(_ node: String) -> String { root + "/" + node }
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Kills what is still running and removes the directory (kept, and named on stderr, when
    /// `LIENTHONG_KEEP_SITE` is set: for a look at a failed run's files).
    public func remove() {
        if let hub, hub.process.isRunning { hub.kill9() }
        for node in nodes where node.process.isRunning { node.kill9() }
        if ProcessInfo.processInfo.environment["LIENTHONG_KEEP_SITE"] != nil {
            for (index, process) in (started).enumerated() {
                try? Data(process.stderr.utf8).write(to: URL(fileURLWithPath: root + "/process-\(index).stderr"))
            }
            FileHandle.standardError.write(Data("kept \(root)\n".utf8))
            return
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Every process this site started (hubs and nodes), in order.
    private var started: [CLIProcess.Running] = []
    private var nodes: [CLIProcess.Running] = []

    /// Runs `lienthong arguments…` and requires exit 0.
    @discardableResult
    public func run(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = []) throws -> CLIProcess.Result {
        let result = try CLIProcess.run(arguments, environment: environment, wrapper: wrapper)
        guard result.status == 0 else {
            throw SiteError(description: "lienthong \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result
    }

    public func initHub(_ options: [String] = []) throws {
        try run(["hub", "init", "--config", Fixtures.packageRoot.path + "/Config/hub.example.json", "--data-dir", hubDirectory] + options)
    }

    /// `wrapper` (here and in ``enroll(_:via:wrapper:)`` and ``startNode(_:environment:wrapper:)``)
    /// runs the node's commands through another program, e.g. faketime for a machine whose clock is off.
    public func initNode(
        _ node: String, agency: String, office: String, _ options: [String] = [], environment: [String: String] = [:], wrapper: [String] = []
    ) throws {
        try run(
            [
                "node", "init", "--config", Fixtures.packageRoot.path + "/Config/node.example.json", "--node-id", node, "--agency", agency,
                "--office", office, "--data-dir", directory(node),
            ] + options, environment: environment, wrapper: wrapper)
    }

    /// Starts `hub run` (on the same port as before, or a free one the first time) and waits for
    /// its listening line.
    public func startHub(environment: [String: String] = [:]) throws {
        let process = try CLIProcess.Running(["hub", "run", "--port", String(port), "--data-dir", hubDirectory], environment: environment)
        let line = process.nextLine() ?? ""
        guard line.hasPrefix("listening on http://127.0.0.1:"),
            let port = Int(line.dropFirst("listening on http://127.0.0.1:".count).prefix { $0.isNumber })
        else {
            process.kill9()
            throw SiteError(description: "hub run printed \"\(line)\": \(process.stderr)")
        }
        self.port = port
        hub = process
        started.append(process)
    }

    /// SIGKILL to the hub, by its pid.
    public func killHub() {
        hub?.kill9()
        hub = nil
    }

    /// Enrols `node` with the hub at `url` (the hub's own, unless a proxy stands between).
    public func enroll(_ node: String, via url: String? = nil, environment: [String: String] = [:], wrapper: [String] = []) throws {
        let token = try run(["hub", "enroll", node, "--data-dir", hubDirectory]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try run(["node", "enroll", "--hub", url ?? self.url, "--token", token, "--data-dir", directory(node)], environment: environment, wrapper: wrapper)
    }

    /// A running `node run` and its local API.
    public struct Node {
        public let process: CLIProcess.Running
        public let api: URL
        public let token: String
    }

    /// Starts `node run` with its local API on a free port and waits until the API is announced.
    public func startNode(_ node: String, environment: [String: String] = [:], wrapper: [String] = [], wrapperForks: Bool = true) throws -> Node {
        let process = try CLIProcess.Running(
            ["node", "run", "--api-port", "0", "--data-dir", directory(node)], environment: environment, wrapper: wrapper, wrapperForks: wrapperForks)
        started.append(process)
        nodes.append(process)
        let prefix = "local API on http://127.0.0.1:"
        while let line = process.nextLine() {
            guard line.hasPrefix(prefix), let port = Int(line.dropFirst(prefix.count).prefix { $0.isNumber }) else { continue }
            let token = try String(contentsOfFile: directory(node) + "/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return Node(process: process, api: URL(string: "http://127.0.0.1:\(port)")!, token: token)
        }
        process.kill9()
        throw SiteError(description: "node run of \(node) ended before its local API listened: \(process.stderr)")
    }

    public func database(_ node: String) throws -> NodeDatabase { try NodeDatabase(path: directory(node) + "/node.sqlite") }
    public func hubDatabase() throws -> HubDatabase { try HubDatabase(path: hubDirectory + "/hub.sqlite") }

    /// `PRAGMA integrity_check` of the SQLite file at `path`: "ok", or what SQLite found.
    public static func integrity(of path: String) throws -> String {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let rows = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        return rows.joined(separator: "; ")
    }
}

public struct SiteError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// Requests to a node's local API as the office's software sends them.
public enum LocalAPIRequests {
    /// `POST /v1/dossiers`: a counter receipt for `applicant` (procedure 1.001193), with a fresh
    /// Idempotency-Key.
    public static func receipt(api: URL, token: String, applicant: String) -> URLRequest {
        var request = URLRequest(url: api.appendingPathComponent("v1/dossiers"), timeoutInterval: 30)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(UUID().uuidString, forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = Data(
            CanonicalJSON.encode([
                "actor": "cb-tiepnhan-01", "procedure": "1.001193", "applicant": .string(applicant), "idNumber": "060185004321",
                "phone": "0912345678", "address": "thôn 1", "documents": ["Tờ khai"],
            ]))
        return request
    }
}
