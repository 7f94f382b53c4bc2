import Foundation
import Hummingbird
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync
import LienThongWire
import Logging
import ServiceLifecycle

/// A real hub inside the test process: its SQLite file in `directory`, the real ``HubService``, the
/// Hummingbird application serving HTTP on 127.0.0.1 at a free port, and the projector — what the
/// contract tests drive with the real client and engine. Nothing is faked.
public final class LiveHub: Sendable {
    public let service: HubService
    /// The hub's database under the service's store: what tests check the hub holds.
    public let database: HubDatabase
    public let url: URL
    public let port: Int
    /// The store's notifier: how many pulls are waiting now, how often commits woke them.
    public var notifier: FeedNotifier { service.feedChanges }
    /// Every request its clients (``client(credential:node:)``) sent, with the answers.
    public let exchanges = ExchangeRecorder()
    let group: ServiceGroup
    let running: Task<Void, any Error>

    init(service: HubService, database: HubDatabase, port: Int, group: ServiceGroup, running: Task<Void, any Error>) {
        self.database = database
        self.service = service
        self.port = port
        self.url = URL(string: "http://127.0.0.1:\(port)")!
        self.group = group
        self.running = running
    }

    /// Initialises a hub in `directory` (as `hub init` would) and starts serving it.
    public static func start(
        directory: URL, origin: String = "hub-597", agency: String = "597", office: String = "UBND huyện Hàm Thuận Bắc",
        topology: URL = Fixtures.topologyURL, caps: HubCaps = .standard
    ) async throws -> LiveHub {
        try await serve(try makeService(directory: directory, origin: origin, agency: agency, office: office, topology: topology, caps: caps))
    }

    /// A hub's service and the database under its store, not served yet.
    public struct Prepared: Sendable {
        public let service: HubService
        public let database: HubDatabase
    }

    /// A hub's service over a new database in `directory` (as `hub init` makes it), not served.
    public static func makeService(
        directory: URL, origin: String = "hub-597", agency: String = "597", office: String = "UBND huyện Hàm Thuận Bắc",
        topology: URL = Fixtures.topologyURL, caps: HubCaps = .standard
    ) throws -> Prepared {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try HubDatabase(path: directory.appendingPathComponent("hub.sqlite").path)
        let key = SigningKey()
        let identity = LocalIdentity(origin: origin, epoch: LocalIdentity.newEpoch(), agencyCode: agency, officeName: office, createdAt: 0)
        try database.initialize(identity: identity, publicKey: key.publicKey)
        let workflow = try Fixtures.workflow(origin: origin, agency: agency, office: office, staff: Fixtures.hubStaff, topology: topology)
        guard let hubTopology = workflow.topology else { throw HarnessError(description: "the fixture workflow has no topology") }
        let service = HubService(store: SQLiteHubStore(database), identity: identity, key: key, topology: hubTopology, workflow: workflow, caps: caps)
        return Prepared(service: service, database: database)
    }

    /// Serves `service` until ``stop()``.
    public static func serve(_ prepared: Prepared, lookupLimiter: LookupLimiter = LookupLimiter()) async throws -> LiveHub {
        let service = prepared.service
        var logger = Logger(label: "lienthong.test-hub")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try HubApplication.build(
            service: service, host: "127.0.0.1", port: 0, logger: logger, lookupLimiter: lookupLimiter
        ) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let projector = service.projector(logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app, projector], gracefulShutdownSignals: [], logger: logger))
        let running = Task {
            // If the server fails before it listens, the wait for its port ends too.
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            let failure = await running.result
            throw HubClientError.unreachable("the test hub stopped before it listened: \(failure)")
        }
        return LiveHub(service: service, database: prepared.database, port: port, group: group, running: running)
    }

    /// Shuts the hub down gracefully and waits until it has stopped listening.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    /// A client with `credential`, as a node (or an intruder) would hold it.
    public func client(credential: String?, node: String? = nil) -> HubClient {
        let exchanges = self.exchanges
        return HubClient(baseURL: url, credential: credential, node: node, timeout: 10) { exchange in
            exchanges.record(
                HTTPExchange(
                    method: exchange.method, path: exchange.path, query: exchange.queryNames, requestBody: exchange.requestBody,
                    status: exchange.status, responseBody: exchange.responseBody))
        }
    }

    /// What the recorded exchanges break in the hub's OpenAPI document (Docs/openapi-hub.json).
    public func contractProblems() throws -> [String] {
        try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-hub.json").problems(exchanges.exchanges)
    }
}

/// A real node database in a directory of its own, with the workflow of its office: what a commune
/// runs, minus the CLI.
public struct LiveNode: Sendable {
    public let database: NodeDatabase
    public let identity: LocalIdentity
    public let key: SigningKey
    public let workflow: Workflow
    /// The wall clock, Unix ms: a live node works in real time, as the hub does.
    static let wall: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }

    public init(
        directory: URL, origin: String = "xa-23059", agency: String = "23059", office: String = "UBND thị trấn Ma Lâm",
        topology: URL = Fixtures.topologyURL
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try NodeDatabase(path: directory.appendingPathComponent("node.sqlite").path)
        key = SigningKey()
        identity = LocalIdentity(origin: origin, epoch: LocalIdentity.newEpoch(), agencyCode: agency, officeName: office, createdAt: 0)
        try database.initialize(identity: identity, publicKey: key.publicKey)
        workflow = try Fixtures.workflow(origin: origin, agency: agency, office: office, topology: topology)
    }

    /// Enrols with `hub` over HTTP as `lienthong node enroll` does (one-time token, pinned hub key)
    /// and returns what `node run` would sync with.
    public func enroll(with hub: LiveHub) async throws -> NodeSync {
        let token = try hub.service.issueEnrolmentToken(node: identity.origin, now: Int64(Self.wall()))
        let answer = try await hub.client(credential: nil).enroll(
            EnrollRequest(node: identity.origin, token: token, epoch: identity.epoch, publicKey: key.publicKey.hex))
        let link = HubLink(url: hub.url.absoluteString, enrolment: answer, enrolledAt: Int64(Self.wall()))
        try database.linkHub(link)
        var logger = Logger(label: "lienthong.test-node")
        logger.logLevel = .warning
        return NodeSync(
            database: database, client: hub.client(credential: answer.credential, node: identity.origin), key: key, identity: identity,
            link: link, logger: logger)
    }

    /// Receives a dossier of `procedure` at the counter; returns its code.
    @discardableResult
    public func receive(procedure: String = "1.001776", applicant: String = "Nguyễn Văn An") throws -> String {
        let write = try database.receive(
            Fixtures.intake(procedure: procedure, applicant: applicant), actor: "cb-tiepnhan-01", workflow: workflow, key: key, wallMilliseconds: Self.wall)
        guard let code = write.events.first?.dossier else { throw HarnessError(description: "the receipt wrote no dossier event") }
        return code
    }

    /// Carries out `command` on dossier `code` as `actor`.
    public func perform(_ command: Workflow.Command, on code: String, actor: String = "cb-tuphap-01") throws {
        _ = try database.perform(command, on: code, actor: actor, workflow: workflow, key: key, wallMilliseconds: Self.wall)
    }
}

/// A broken assumption of the live harness itself (not of the code under test).
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
}

extension NodeSync {
    /// Pushes and pulls until nothing is pending (`lienthong node sync`).
    public func once() async throws {
        var logger = Logger(label: "lienthong.test-node")
        logger.logLevel = .warning
        try await NodeSyncService(sync: self, mode: .once, logger: logger).run()
    }
}
