import ArgumentParser
import Foundation
import LienThongCore
import LienThongHub
import LienThongLocalAPI
import LienThongStore
import LienThongSync
import LienThongWire
import Logging
import ServiceLifecycle

/// `lienthong node enroll --hub URL --token T`.
struct NodeEnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enrol the node with its hub: send the public key, keep the credential (mode 0600) and pin the hub's key.")
    @Option(help: "The hub's URL, e.g. http://127.0.0.1:8080.") var hub: String
    @Option(help: "The one-time token printed by `lienthong hub enroll NODE`.") var token: String
    @Flag(help: "Allow plain HTTP to a hub on another machine (a trusted network only).") var insecureHTTP = false
    @OptionGroup var data: DataDirectoryOptions

    func validate() throws { try Self.validate(hub: hub, insecureHTTP: insecureHTTP) }

    static func validate(hub: String, insecureHTTP: Bool) throws {
        guard let url = URL(string: hub), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--hub: expected the hub's URL such as https://hub.example:8443; found \"\(hub)\"")
        }
        try checkTransport(hub, insecureHTTP: insecureHTTP, option: "--hub")
    }

    /// Credentials and ID numbers must not cross the network in clear: plain HTTP only to this
    /// machine (a hub on loopback, or a TLS proxy here), or with --insecure-http.
    static func checkTransport(_ hub: String, insecureHTTP: Bool, option: String) throws {
        guard let url = URL(string: hub), url.scheme == "http", let host = url.host, !HubApplication.isLoopback(host), !insecureHTTP else { return }
        throw ValidationError(
            "\(option) \(hub): plain HTTP to another machine would send the credential and citizens' ID numbers in clear; use the hub's https:// URL (trust its CA with `Scripts/install-deps.sh --ca FILE`), or pass --insecure-http on a trusted network"
        )
    }

    func run() async throws {
        let node = try NodeContext(data)
        let answer = try await Self.enrol(node, hub: hub, token: token)
        print("Enrolled \(node.identity.origin) with \(answer.hub) at \(hub)")
        print("  credential:   \(node.directory.credentialPath) (mode 0600)")
        print("  hub key:      \(answer.hubPublicKey) (pinned)")
        print("Next: `lienthong node run` (daemon) or `lienthong node sync` (once).")
    }

    /// Redeems `token` at `hub` for `node`'s current epoch and key, keeps the credential (0600) and
    /// pins the hub. A refused token exits 64, an unreachable hub 69; nothing is changed then.
    static func enrol(_ node: NodeContext, hub: String, token: String) async throws -> EnrollResponse {
        let publicKey = try String(contentsOfFile: node.directory.publicKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let url = URL(string: hub) else { throw ValidationError("--hub: not a URL") }
        let client = HubClient(baseURL: url, credential: nil)
        let answer: EnrollResponse
        do {
            answer = try await client.enroll(
                EnrollRequest(node: node.identity.origin, token: token, epoch: node.identity.epoch, publicKey: publicKey))
        } catch {
            FileHandle.standardError.write(Data("error: enrolment failed: \(error.description); nothing was changed\n".utf8))
            // A refused token is the operator's input (64); an unreachable hub is EX_UNAVAILABLE (69).
            if case .refused = error.failure { throw ExitCode(64) }
            throw ExitCode(69)
        }
        try NodeDirectory.writeSecret(path: node.directory.credentialPath, contents: answer.credential + "\n")
        try node.database.linkHub(HubLink(url: hub, enrolment: answer, enrolledAt: Int64(NodeContext.wallMilliseconds())))
        return answer
    }
}

/// `lienthong node recover --hub URL --token T`: a new machine takes over an office whose machine
/// died. Run in a directory made by `node init` with the same node id (a new key and epoch), after
/// `hub enroll NODE --replace` at the hub.
struct NodeRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Take over a node on a new machine: enrol with a new key and epoch, take back its own events and its feed from the hub.",
        discussion: """
            1. At the hub: lienthong hub enroll NODE --replace (revokes the old machine's credential, prints a token).
            2. Here: lienthong node init --node-id NODE … (same office; a new key and epoch), then this command.
            The node's own events come back with their checkpoints and old keys, so `node log verify` proves them; \
            the feed is pulled from the start; new work continues the chain from the hub's head under the new epoch.
            """)
    @Option(help: "The hub's URL, e.g. https://hub.example:8443.") var hub: String
    @Option(help: "The one-time token printed by `lienthong hub enroll NODE --replace`.") var token: String
    @Flag(help: "Allow plain HTTP to a hub on another machine (a trusted network only).") var insecureHTTP = false
    @OptionGroup var data: DataDirectoryOptions

    func validate() throws { try NodeEnrollCommand.validate(hub: hub, insecureHTTP: insecureHTTP) }

    func run() async throws {
        let node = try NodeContext(data)
        if let held = try node.database.head(origin: node.identity.origin)?.seq, held > 0 {
            FileHandle.standardError.write(
                Data(
                    """
                    error: this node holds \(held) events of its own already; recover into a directory freshly made by                 `lienthong node init --node-id \(node.identity.origin)`; nothing was changed

                    """.utf8))
            throw ExitCode(64)
        }
        let answer = try await NodeEnrollCommand.enrol(node, hub: hub, token: token)
        print("Enrolled \(node.identity.origin) with \(answer.hub) under the new epoch \(node.identity.epoch)")
        let logger = Logger(label: "lienthong.node")
        let context = try SyncContext(node: node, logger: logger, insecureHTTP: insecureHTTP)
        // Every page first, then one transaction: a take-back cut short leaves no partial chain
        // that the next local write would continue with seqs the hub already holds.
        var own = OwnEvents(origin: node.identity.origin, events: [], head: .empty)
        repeat {
            let page: OwnEvents
            do {
                page = try await context.sync.client.own(fromSeq: own.events.count + 1, limit: 500)
            } catch {
                FileHandle.standardError.write(
                    Data(
                        """
                        error: taking back own events failed at seq \(own.events.count + 1): \(error.description); nothing was taken back. \
                        This machine is enrolled now: ask the hub operator for a new token (`lienthong hub enroll \(node.identity.origin) --replace`) \
                        and run `lienthong node recover` here again

                        """.utf8))
                throw ExitCode(69)
            }
            guard !page.events.isEmpty else {
                own.head = page.head
                break
            }
            own.append(page)
            FileHandle.standardError.write(Data("downloaded seq \(own.events.count) of \(own.head.seq)\n".utf8))
        } while own.events.count < own.head.seq
        let head = try node.database.restoreOwn(own.events, checkpoints: own.checkpoints, keys: own.keys, now: Int64(NodeContext.wallMilliseconds()))
        print("Took back \(head) own events (the hub holds \(own.head.seq))")
        do {
            try await NodeSyncService(sync: context.sync, mode: .once, logger: logger).run()
        } catch let error as NodeSyncError {
            FileHandle.standardError.write(Data("error: pulling the feed failed: \(error.description); `lienthong node sync` resumes it\n".utf8))
            throw ExitCode(1)
        }
        let cursor = try node.database.syncCursor()
        let report = try node.database.verify()
        guard report.isIntact else {
            FileHandle.standardError.write(Data("error: the recovered log does not verify: \(report.firstProblem?.description ?? "?")\n".utf8))
            throw ExitCode(1)
        }
        print("Pulled the feed to position \(cursor.pulled); \(report.eventCount) events verified")
        print("Next: `lienthong node run`. New events continue from seq \(head + 1) under epoch \(node.identity.epoch).")
    }
}

/// What `node run` and `node sync` share: the opened node, its hub link and credential.
struct SyncContext {
    let sync: NodeSync
    let node: NodeContext

    init(_ options: DataDirectoryOptions, logger: Logger, insecureHTTP: Bool) throws {
        try self.init(node: try NodeContext(options), logger: logger, insecureHTTP: insecureHTTP)
    }

    /// Over a node already opened (`node recover` enrols it first).
    init(node: NodeContext, logger: Logger, insecureHTTP: Bool) throws {
        self.node = node
        guard let link = try node.database.hubLink() else {
            FileHandle.standardError.write(Data("error: this node is not enrolled; run `lienthong node enroll --hub URL --token T` first\n".utf8))
            throw ExitCode(64)
        }
        guard let credential = FileManager.default.contents(atPath: node.directory.credentialPath) else {
            FileHandle.standardError.write(
                Data("error: \(node.directory.credentialPath) is missing; enrol again (`lienthong node enroll`)\n".utf8))
            throw ExitCode(64)
        }
        guard let url = URL(string: link.url) else { throw ValidationError("the stored hub URL \(link.url) is not a URL; enrol again") }
        try NodeEnrollCommand.checkTransport(link.url, insecureHTTP: insecureHTTP, option: "the enrolled hub")
        let client = HubClient(
            baseURL: url, credential: String(decoding: credential, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
            node: node.identity.origin)
        sync = NodeSync(
            database: try node.database, client: client, key: try node.directory.loadSigningKey(), identity: node.identity, link: link,
            logger: logger)
    }
}

/// `lienthong node sync`: push and pull once, until nothing is pending.
struct NodeSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Push everything the hub has not stored and pull everything new, then exit (0: in sync).")
    @Flag(help: "Allow plain HTTP to a hub on another machine (a trusted network only).") var insecureHTTP = false
    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        let logger = Logger(label: "lienthong.node")
        let context = try SyncContext(data, logger: logger, insecureHTTP: insecureHTTP)
        let service = NodeSyncService(sync: context.sync, mode: .once, logger: logger)
        do {
            try await service.run()
        } catch let error as NodeSyncError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let cursor = try context.sync.database.syncCursor()
        print("in sync with \(context.sync.link.hub): hub holds \(context.sync.identity.origin) up to seq \(cursor.storedSeq); feed pulled to \(cursor.pulled)")
    }
}

/// `lienthong node run`: the sync daemon, until SIGTERM or SIGINT.
struct NodeRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the node: the sync daemon (push local writes, pull decisions) and the local API on 127.0.0.1, until SIGTERM.",
        discussion: """
            The local API serves the office's one-stop software: receive, every transition, list, show and the receipt, as \
            JSON (see Docs/openapi-local.json). It answers only on 127.0.0.1, needs `Authorization: Bearer <token>` with the \
            token from api.token in the data directory (made on first run, mode 0600), refuses browser origins not given \
            with --api-origin, and does every write once per Idempotency-Key.
            """)
    @Option(help: "Seconds between heartbeats; `lienthong status` says CRITICAL after three missed.") var heartbeatSeconds = 5
    @Option(help: "The local API's port on 127.0.0.1 (0: a free one, printed).") var apiPort = 8787
    @Option(help: "A browser origin allowed to call the local API, e.g. http://motcua.local; repeat for each.") var apiOrigin: [String] = []
    @Flag(help: "Do not serve the local API.") var noAPI = false
    @Flag(help: "Allow plain HTTP to a hub on another machine (a trusted network only).") var insecureHTTP = false
    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        guard (1...3600).contains(heartbeatSeconds) else {
            throw ValidationError("--heartbeat-seconds: expected 1 to 3600; found \(heartbeatSeconds)")
        }
        guard (0...65535).contains(apiPort) else { throw ValidationError("--api-port: expected 0 to 65535; found \(apiPort)") }
        for origin in apiOrigin {
            guard let url = URL(string: origin), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.path.isEmpty else {
                throw ValidationError(
                    "--api-origin: expected a browser origin such as http://motcua.local:8080 (scheme, host, port; no path); found \"\(origin)\"")
            }
        }
    }

    func run() async throws {
        let logger = Logger(label: "lienthong.node")
        let context = try SyncContext(data, logger: logger, insecureHTTP: insecureHTTP)
        let service = NodeSyncService(
            sync: context.sync, mode: .daemon, logger: logger, heartbeatMilliseconds: Int64(heartbeatSeconds) * 1000)
        FileHandle.standardOutput.write(
            Data("syncing \(context.sync.identity.origin) with \(context.sync.link.hub) at \(context.sync.link.url)\n".utf8))
        var services: [any Service] = [service]
        if !noAPI {
            let node = context.node
            let tokenPath = node.directory.path + "/api.token"
            let settings = LocalAPISettings(token: try LocalAPI.token(at: tokenPath), allowedOrigins: Set(apiOrigin))
            let api = LocalAPI.build(
                node: LocalAPINode(database: try node.database, workflow: node.workflow, key: context.sync.key, staffNames: node.staffNames),
                settings: settings, port: apiPort, logger: logger
            ) { port in
                FileHandle.standardOutput.write(Data("local API on http://127.0.0.1:\(port) (token in \(tokenPath))\n".utf8))
            }
            services.append(api)
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
