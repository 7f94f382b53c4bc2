import ArgumentParser
import Foundation
import Hummingbird
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongWire
import Logging
import NIOSSL
import ServiceLifecycle

/// `lienthong hub …`: the district (or provincial) hub.
struct HubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the district or provincial hub that communes sync with.",
        subcommands: [
            HubInitCommand.self, HubEnrollCommand.self, HubRevokeCommand.self, HubRunCommand.self, HubStatusCommand.self, HubNodesCommand.self,
            HubForkCommand.self, HubBackupCommand.self, HubRestoreCommand.self, HubPublishCommand.self, HubDossierCommand.self,
        ])
}

/// `lienthong hub init`: the hub's key pair, identity, staff and configuration.
struct HubInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a new hub: its key pair (hub.key, mode 0600), identity, staff list and database (hub.sqlite).",
        discussion: "The hub is an origin with its own chain (its decisions). See Config/hub.example.json.")

    @Option(help: "A hub configuration file (see Config/hub.example.json); options given here win over it.")
    var config: String?
    @Option(name: .customLong("hub-id"), help: "The hub's origin id: hub- and its agency code, e.g. hub-597.") var hubId: String?
    @Option(name: .customLong("agency"), help: "The hub's agency code, e.g. 597.") var agencyCode: String?
    @Option(name: .customLong("office"), help: "The agency's name, e.g. \"UBND huyện Hàm Thuận Bắc\".") var officeName: String?
    @Option(name: .customLong("staff"), help: "A JSON file listing the hub's officers and operators.") var staffFile: String?
    @Option(help: "The working calendar.") var calendar: String?
    @Option(help: "The procedure catalogue.") var procedures: String?
    @Option(help: "The topology: which offices the hub serves.") var topology: String?
    @OptionGroup var data: DataDirectoryOptions

    func settings() throws -> NodeInitCommand.Settings {
        try InitInputs(
            role: .hub, config: config, id: hubId, agencyCode: agencyCode, officeName: officeName, staffFile: staffFile, calendar: calendar,
            procedures: procedures, topology: topology
        ).settings()
    }

    func validate() throws { _ = try settings() }

    func run() throws {
        let settings = try settings()
        let directory = NodeDirectory(path: data.directory.path, role: .hub)
        if FileManager.default.fileExists(atPath: NodeDirectory(path: directory.path).databasePath) {
            throw StoreError.alreadyInitialized(directory: directory.path)
        }
        let (_, identity) = try directory.create(as: HubDatabase.self, profile: settings.profile, config: settings.files)
        print("Initialised hub \(identity.origin) (\(identity.officeName), agency \(identity.agencyCode)) in \(directory.path)")
        print("  database:     \(directory.databasePath)")
        print("  private key:  \(directory.privateKeyPath) (mode 0600; keep it secret and back it up apart from the data)")
        print("  topology:     \(settings.topology) → \(directory.topologyPath)")
        print("Next: `lienthong hub enroll NODE` for each commune, then `lienthong hub run`.")
    }
}

/// An opened hub for a command.
struct HubContext {
    let node: NodeContext
    let service: HubService
    /// The hub's SQLite database, for what is particular to it (backup).
    let database: HubDatabase

    init(_ options: DataDirectoryOptions) throws {
        node = try NodeContext(options)
        // A node's directory is refused here, with the message and exit code 64.
        database = try node.hubDatabase
        service = try node.hubService(key: try node.directory.loadSigningKey())
    }
}

/// `lienthong hub enroll NODE`: a one-time enrolment token.
struct HubEnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll", abstract: "Print a one-time enrolment token for a commune's node (valid 7 days; only its hash is kept).")
    @Argument(help: "The node's id, e.g. xa-23059; it must be an office of the hub's topology.") var node: String
    @Flag(help: "The node moves to a new machine: revoke the old machine's credential now; the new one runs `lienthong node recover`.")
    var replace = false
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let hub = try HubContext(data)
        do {
            let token = try hub.service.issueEnrolmentToken(node: node, now: Int64(NodeContext.wallMilliseconds()), replace: replace)
            print(token)
            let next = replace ? "lienthong node recover --hub URL --token \(token)" : "lienthong node enroll --hub URL --token \(token)"
            FileHandle.standardError.write(
                Data("On the node: \(next)\n(the token works once, for \(node), within 7 days)\n".utf8))
        } catch .badRequest(let message), .conflict(let message) {
            FileHandle.standardError.write(Data("error: \(message); nothing was changed\n".utf8))
            throw ExitCode(64)
        }
    }
}

/// `lienthong hub revoke NODE`: the node's credential stops working at its next request.
struct HubRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a node's credential (a lost or stolen machine): its next request is refused. What it stored stays.",
        discussion: "To bring the office back on a new machine: `lienthong hub enroll NODE --replace`, then `lienthong node recover` there.")
    @Argument(help: "The node's id, e.g. xa-23059.") var node: String
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let hub = try HubContext(data)
        guard try hub.service.revoke(node: node, now: Int64(NodeContext.wallMilliseconds())) else {
            FileHandle.standardError.write(
                Data("error: \(node) holds no active credential at this hub (unknown, never enrolled or revoked already); nothing was changed\n".utf8))
            throw ExitCode(64)
        }
        print("Revoked \(node): its next request is refused. Its stored events stay; `lienthong hub nodes` shows it as revoked.")
    }
}

/// `lienthong hub run`: serves the sync protocol until SIGTERM or SIGINT.
struct HubRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Serve the sync protocol (push, pull, own, enrol), health and metrics over HTTPS until SIGTERM or SIGINT.",
        discussion: """
            Credentials and citizens' ID numbers must not cross the network in clear: give --tls-cert and --tls-key \
            (PEM; nodes trust the issuing CA through the system store, `Scripts/install-deps.sh --ca FILE`). Plain \
            HTTP is served only on a loopback address (127.0.0.1), or with --insecure-http.
            """)
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port; 0 picks a free one (printed on the `listening` line).") var port = 8080
    @Option(help: "The PEM certificate chain to serve HTTPS with.") var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Flag(help: "Serve plain HTTP on a non-loopback address (a trusted network only).") var insecureHTTP = false
    @Option(help: "Citizen lookups (GET /v1/lookup) allowed per client address and minute; past it, 429.") var lookupPerMinute = 10
    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        guard (1...10_000).contains(lookupPerMinute) else { throw ValidationError("--lookup-per-minute: expected 1 to 10000; found \(lookupPerMinute)") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key: give both, or neither") }
        if tlsCert == nil, !HubApplication.isLoopback(host), !insecureHTTP {
            throw ValidationError(
                "--host \(host): plain HTTP only on a loopback address; give --tls-cert and --tls-key, or --insecure-http on a trusted network")
        }
    }

    func run() async throws {
        let hub = try HubContext(data)
        let logger = Logger(label: "lienthong.hub")
        let projector = hub.service.projector(logger: logger)
        var tls: TLSConfiguration?
        if let tlsCert, let tlsKey {
            do {
                tls = try HubApplication.tlsConfiguration(certificateFile: tlsCert, keyFile: tlsKey)
            } catch {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(64)
            }
        }
        let scheme = tls == nil ? "http" : "https"
        let app = try HubApplication.build(
            service: hub.service, host: host, port: port, logger: logger, lookupLimiter: LookupLimiter(perMinute: lookupPerMinute), tls: tls
        ) { port in
            // Unbuffered, so a supervisor (or a test) reading the pipe sees it at once.
            FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(port) as \(hub.service.identity.origin)\n".utf8))
        }
        let group = ServiceGroup(
            configuration: .init(services: [app, projector], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// `lienthong hub dossier …`: the district's decisions, and the dossiers it holds.
struct HubDossierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier",
        abstract: "Decide on forwarded dossiers (accept, process, request a supplement, resolve, send the result back) and list them.",
        discussion: "Pass the hub's --data-dir. Each decision is a hub event, routed to the offices that see the dossier.",
        subcommands: [
            AcceptCommand.self, ProcessCommand.self, RequestSupplementCommand.self, ResolveCommand.self, SendResultCommand.self,
            HubReturnCommand.self, DossierListCommand.self, DossierShowCommand.self,
        ])
}

/// `hub dossier return`: send the dossier back to the office that forwarded it, undecided.
struct HubReturnCommand: DossierTransition {
    static let configuration = CommandConfiguration(
        commandName: "return", abstract: "Return the dossier to the office that forwarded it (trả lại hồ sơ), with the reason.")
    @OptionGroup var writer: WriterOptions
    @Argument(help: "The dossier code.") var code: String
    @Option(help: "Why it goes back.") var reason: String
    func command() throws -> Workflow.Command { .returnToSender(reason: reason) }
}
