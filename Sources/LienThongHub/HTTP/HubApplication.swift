import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The hub's HTTP adapter (Hummingbird 2): decodes requests, authenticates the node, calls
/// ``HubService`` and encodes the answer. Nothing here decides anything the service does not.
public enum HubApplication {
    /// The routes of DESIGN §5.
    public static func buildRouter(
        service: HubService, logger: Logger, metrics: HubMetrics = HubMetrics(), lookupLimiter: LookupLimiter = LookupLimiter(),
        now: @escaping @Sendable () -> Int64 = HubApplication.wallClock, clock: any Clock<Duration> = ContinuousClock()
    ) -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        // Hummingbird wraps a route only in the middleware added before it: these come first. The
        // error middleware is innermost, so the clock and the metrics see error answers too.
        router.middlewares.add(ClockMiddleware(now: now))
        router.middlewares.add(MetricsMiddleware(metrics: metrics))
        router.middlewares.add(errorMiddleware(logger: logger, metrics: metrics))
        // The routes by concern, each a controller.
        EnrolmentController(service: service, now: now).addRoutes(to: router)
        HealthController(service: service, metrics: metrics, now: now).addRoutes(to: router)
        LookupController(service: service, lookupLimiter: lookupLimiter).addRoutes(to: router)
        SyncController(service: service, metrics: metrics, now: now, clock: clock).addRoutes(to: router)
        // Last, after every route: a known path with another method is 405, not 404.
        router.middlewares.add(MethodNotAllowedMiddleware(router: router))
        return router
    }

    /// Every error to its answer (``HubError/init(translating:)``): a refusal counts in the metrics
    /// by its code; a failure of the hub is logged with its cause, which is never sent.
    static func errorMiddleware(logger: Logger, metrics: HubMetrics) -> ErrorMiddleware<HubRequestContext, HubError> {
        ErrorMiddleware(translate: HubError.init(translating:)) { failure, request in
            switch failure {
            case .routing, .stopping: break
            case .store(let cause): logger.error("hub storage failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(cause)"])
            case .unexpected(let cause): logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(cause)"])
            default: metrics.rejected(reason: failure.body.code)
            }
        }
    }

    /// The hub's application, listening on `host:port` (port 0: any free port, reported to
    /// `onServerRunning`).
    public static func build(
        service: HubService, host: String, port: Int, logger: Logger, metrics: HubMetrics = HubMetrics(),
        lookupLimiter: LookupLimiter = LookupLimiter(), tls: TLSConfiguration? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = buildRouter(service: service, logger: logger, metrics: metrics, lookupLimiter: lookupLimiter)
        // A client must send each request head in time (slowloris; see RequestHeadDeadline).
        let http1: HTTPServerBuilder = .http1(configuration: .init(additionalChannelHandlers: [RequestHeadDeadline()]))
        let server: HTTPServerBuilder = try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1
        return Application(
            router: router, server: server, configuration: .init(address: .hostname(host, port: port), serverName: "lienthong-hub"),
            services: [service.store],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// The hub's TLS from a PEM certificate chain and its PEM private key (`hub run --tls-cert --tls-key`).
    public static func tlsConfiguration(certificateFile: String, keyFile: String) throws(HubError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw HubError.badRequest("--tls-cert: \(certificateFile) holds no PEM certificate") }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        } catch let error as HubError {
            throw error
        } catch {
            throw .badRequest("--tls-cert/--tls-key: cannot load \(certificateFile) and \(keyFile) as PEM (\(error))")
        }
    }

    /// Whether `host` names this machine only (plain HTTP is allowed there without a flag):
    /// `localhost`, `::1`, or an IPv4 literal in 127.0.0.0/8 — not a name that merely starts with
    /// "127." (`127.example.org` is another machine).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { part in !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && UInt8(part) != nil }
    }

    /// Unix milliseconds now.
    public static let wallClock: @Sendable () -> Int64 = { WallClock.milliseconds() }

    /// `service.push` on the thread pool: its answer once every batch has committed.
    ///
    /// Planted bug `hub-ack-before-commit` (debug builds only; the control run of the chaos
    /// scenario that kills the hub): the answer goes out while the last batch's transaction is
    /// open, and it commits half a second later.
    static func pushCommittedOrEarly(
        _ service: HubService, _ push: PushRequest, node: String, now: @escaping @Sendable () -> Int64, contact: NodeContactRecord
    ) async throws -> PushResponse {
        guard PlantedBug.hubAckBeforeCommit.isActive else {
            return try await offloaded { try service.push(push, node: node, now: now(), contact: contact) }
        }
        let (answers, continuation) = AsyncStream<Result<PushResponse, HubError>>.makeStream()
        Task.detached {
            defer { continuation.finish() }
            do {
                let response = try await offloaded {
                    try service.push(push, node: node, now: now(), contact: contact) { early in
                        continuation.yield(.success(early))
                        Thread.sleep(forTimeInterval: 0.5)
                    }
                }
                continuation.yield(.success(response))
            } catch let error as HubError {
                continuation.yield(.failure(error))
            } catch {
                continuation.yield(.failure(.badRequest("\(error)")))
            }
        }
        for await answer in answers { return try answer.get() }
        throw HubError.badRequest("the push was not answered")
    }

    /// Blocking store work on NIO's thread pool (LienThongHTTP's `offloaded`).
    public static func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await LienThongHTTP.offloaded(work)
    }

    /// What the node said about itself in the request's headers.
    static func contact(of request: Request, now: Int64) -> NodeContactRecord {
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }
        return NodeContactRecord(head: header(SyncHeaders.head), clock: header(SyncHeaders.clock), now: now)
    }

    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return String(value.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// A pull or own request may name the node whose feed it reads (`node=`); a credential reads
    /// only its own node's (403 otherwise), so a misconfigured node learns it at once.
    /// - Returns: the node whose feed to serve: the credential's (or, with the planted bug
    ///   `serves-named-feed`, debug builds only, the one named).
    static func feedNode(_ asked: String?, credentialNode: String) throws(HubError) -> String {
        guard let asked, asked != credentialNode else { return credentialNode }
        if PlantedBug.servesNamedFeed.isActive { return asked }
        let named = asked.count > 64 ? String(asked.prefix(61)) + "..." : asked
        throw .forbidden("this credential belongs to \(credentialNode); it cannot read the feed of \(named)")
    }

    static func integer(_ text: String?, name: String, default value: Int, minimum: Int) throws(HubError) -> Int {
        do {
            return try QueryInteger(name, default: value, range: minimum...QueryInteger.largest).read(text)
        } catch {
            throw .badRequest(error.description)
        }
    }

    /// The request body, inflated if gzip, within the advertised caps (413 past them).
    static func body(of request: Request, caps: HubCaps) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > caps.maxBodyBytes {
            throw HubError.tooLarge("the body is \(length) bytes; the hub takes at most \(caps.maxBodyBytes)")
        }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= caps.maxBodyBytes else {
                throw HubError.tooLarge("the body is over \(caps.maxBodyBytes) bytes, the most the hub takes")
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        let encoding = request.headers[.contentEncoding]?.lowercased()
        guard encoding == "gzip" || (encoding == nil && Gzip.isCompressed(bytes)) else { return bytes }
        do {
            return try Gzip.decompress(bytes, limit: caps.maxInflatedBytes)
        } catch .tooLarge(let limit) {
            throw HubError.tooLarge("the gzip body inflates past \(limit) bytes, the most the hub takes")
        } catch {
            throw HubError.badRequest("body: \(error.description)")
        }
    }

    /// A 200 with a JSON body, gzip-compressed when the client accepts it and it is worth it.
    static func respond(_ bytes: [UInt8], to request: Request) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        var body = bytes
        if bytes.count > 512, request.headers[.acceptEncoding]?.contains("gzip") == true, let compressed = try? Gzip.compress(bytes) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// The hub's request context: Hummingbird's basic one plus the client's address (for the lookup's
/// per-address limit).
public struct HubRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Stamps every answer with the hub's clock (`LienThong-Clock`), so a node measures its skew at
/// every contact. Added before the error middleware, so error answers carry it too.
struct ClockMiddleware<Context: RequestContext>: RouterMiddleware {
    let now: @Sendable () -> Int64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if let name = HTTPField.Name(SyncHeaders.clock) { response.headers[name] = String(now()) }
        return response
    }
}

/// Times every request into ``HubMetrics`` by route, method and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HubMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.request(
            path: request.uri.path, method: request.method.rawValue, status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }
}
