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
        router.middlewares.add(ErrorMiddleware(logger: logger, metrics: metrics))
        router.post(RouterPath(SyncPaths.enroll)) { request, context -> Response in
            let body = try await Self.body(of: request, caps: service.caps)
            let enrolment: EnrollRequest
            do throws(WireError) {
                enrolment = try EnrollRequest(bytes: body)
            } catch {
                throw HubError.badRequest(error.description)
            }
            let answer = try await Self.offloaded { try service.enroll(enrolment, now: now()) }
            return Self.respond(answer.bytes, to: request)
        }
        router.get(RouterPath(SyncPaths.caps)) { request, context -> Response in
            Self.respond(service.caps.bytes, to: request)
        }
        // Health for a supervisor or a load balancer: no credential, nothing personal.
        router.get(RouterPath(SyncPaths.live)) { request, context -> Response in
            let body: JSONValue = ["status": "live", "hub": .string(service.identity.origin)]
            return Self.respond(CanonicalJSON.encode(body), to: request)
        }
        router.get(RouterPath(SyncPaths.ready)) { request, context -> Response in
            let progress: (projected: Int, stored: Int)
            do {
                progress = try await Self.offloaded { try service.store.projectorProgress() }
            } catch let error as StoreError {
                throw HubError.store(error)  // 503, cause logged
            }
            let body: JSONValue = [
                "status": "ready", "hub": .string(service.identity.origin), "projectorLag": .integer(progress.stored - progress.projected),
            ]
            return Self.respond(CanonicalJSON.encode(body), to: request)
        }
        // Prometheus metrics: no credential (like health), nothing personal: counts, lags, latencies.
        router.get(RouterPath(SyncPaths.metrics)) { request, context -> Response in
            let text: [UInt8]
            do {
                text = try await Self.offloaded { try metrics.scrape(store: service.store, now: now()) }
            } catch let error as StoreError {
                throw HubError.store(error)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        // Citizen lookup (tra cứu hồ sơ): no credential; the code and the ID's last four digits;
        // limited per client address; a wrong pair and an unknown code get the same 404.
        router.get(RouterPath(SyncPaths.lookup)) { request, context -> Response in
            let client = context.remoteAddress?.ipAddress ?? "unknown"
            if let wait = lookupLimiter.take(client: client) { throw HubError.tooManyRequests(retryAfter: wait) }
            let query = request.uri.queryParameters
            guard let code = query.get("code"), (1...40).contains(code.count), EventValidator.isSafeIdentifier(code, maxLength: 40) else {
                throw HubError.badRequest("code: expected the dossier code printed on the receipt, such as 23059-261122-0001")
            }
            guard let digits = query.get("id"), digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw HubError.badRequest("id: expected the last four digits of the applicant's ID number")
            }
            let answer: LookupAnswer?
            do {
                answer = try await Self.offloaded { try service.lookup(code: code, idLastFour: digits) }
            } catch let error as StoreError {
                throw HubError.store(error)
            }
            guard let answer else {
                throw HubError.notFound("no dossier matches this code and these digits; check both on the receipt (Giấy tiếp nhận hồ sơ)")
            }
            return Self.respond(CanonicalJSON.encode(answer.json), to: request)
        }
        router.post(RouterPath(SyncPaths.push)) { request, context -> Response in
            let node = try service.authenticate(credential: Self.bearer(request))
            let body = try await Self.body(of: request, caps: service.caps)
            let push: PushRequest
            do throws(WireError) {
                push = try PushRequest(bytes: body)
            } catch {
                throw HubError.badRequest(error.description)
            }
            let contact = Self.contact(of: request, now: now())
            let response = try await Self.pushCommittedOrEarly(service, push, node: node, now: now, contact: contact)
            for result in response.results {
                metrics.batch(outcome: result.outcome.rawValue)
                metrics.stored(node: result.origin, events: result.stored)
                if result.outcome != .stored && result.outcome != .duplicate { metrics.rejected(reason: result.outcome.rawValue) }
            }
            return Self.respond(response.bytes, to: request)
        }
        router.get(RouterPath(SyncPaths.pull)) { request, context -> Response in
            let query = request.uri.queryParameters
            let node = try Self.feedNode(query.get("node"), credentialNode: try service.authenticate(credential: Self.bearer(request)))
            let since = try Self.integer(query.get("since"), name: "since", default: 0, minimum: 0)
            let limit = try Self.integer(query.get("limit"), name: "limit", default: 500, minimum: 1)
            let wait = min(try Self.integer(query.get("wait"), name: "wait", default: 0, minimum: 0), service.caps.maxWaitSeconds)
            let contact = Self.contact(of: request, now: now())
            // Read (and record the delivery up to `since`) on arrival: a node that holds position N
            // has it delivered now, not when its long-poll ends up to 25 s later.
            let first = try await Self.offloaded { try service.pull(node: node, since: since, limit: limit, now: now(), contact: contact) }
            guard first.entries.isEmpty, wait > 0 else { return Self.respond(first.bytes, to: request) }
            // Long-poll: while the feed has nothing after `since`, sleep until the store's commit
            // wakes it (a push, a decision, a take-back — in this process at once, another
            // process's as soon as the store sees it) or the wait ends. Nothing polls the feed.
            // A graceful shutdown answers at once (an empty page), so it is not held for the wait.
            try await service.feedChanges.longPoll(for: .seconds(max(0, wait)), clock: clock) {
                try service.feedEnd(node: node) <= since
            }
            // The credential again: one revoked during the wait gets nothing that arrived meanwhile.
            _ = try service.authenticate(credential: Self.bearer(request))
            let page = try await Self.offloaded {
                try service.pull(node: node, since: since, limit: limit, now: now(), contact: contact, recordDelivery: false)
            }
            return Self.respond(page.bytes, to: request)
        }
        router.post(RouterPath(SyncPaths.returnEvents)) { request, context -> Response in
            let node = try service.authenticate(credential: Self.bearer(request))
            let body = try await Self.body(of: request, caps: service.caps)
            let returned: ReturnRequest
            do throws(WireError) {
                returned = try ReturnRequest(bytes: body)
            } catch {
                throw HubError.badRequest(error.description)
            }
            let response = try await Self.offloaded { try service.takeBack(returned, node: node, now: now()) }
            return Self.respond(response.bytes, to: request)
        }
        router.get(RouterPath(SyncPaths.own)) { request, context -> Response in
            let query = request.uri.queryParameters
            let node = try Self.feedNode(query.get("node"), credentialNode: try service.authenticate(credential: Self.bearer(request)))
            let fromSeq = try Self.integer(query.get("fromSeq"), name: "fromSeq", default: 1, minimum: 1)
            let limit = try Self.integer(query.get("limit"), name: "limit", default: 500, minimum: 1)
            let own = try await Self.offloaded { try service.own(node: node, fromSeq: fromSeq, limit: limit) }
            return Self.respond(own.bytes, to: request)
        }
        // Last, after every route: a known path with another method is 405, not 404.
        router.middlewares.add(MethodNotAllowedMiddleware(router: router))
        return router
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

    /// Runs blocking SQLite work on NIO's thread pool, so a push waiting for the write lock never
    /// holds one of the few cooperative threads that every other request (long-polls included)
    /// needs.
    public static func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
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
        guard let text else { return value }
        let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
        guard let number = Int(text) else { throw .badRequest("\(name): expected an integer; found \"\(shown)\"") }
        // At most 2^53 − 1, as in events and the OpenAPI document.
        guard (minimum...9_007_199_254_740_991).contains(number) else {
            throw .badRequest("\(name): expected an integer from \(minimum) to 9007199254740991; found \(number)")
        }
        return number
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

/// Maps errors to answers in one place: a ``HubError`` to its status and body; anything else to a
/// logged 500 whose cause is never sent.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: HubMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HubError {
            if error.status < 500 { metrics.rejected(reason: error.body.code) }
            if case .store(let cause) = error {
                logger.error("hub storage failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(cause)"])
            }
            var response = Self.answer(status: error.status, body: error.body)
            if case .tooManyRequests(let seconds) = error { response.headers[.retryAfter] = String(seconds) }
            return response
        } catch is CancellationError {
            // The request was cut short (the hub is stopping): nothing failed, nothing to log.
            return Self.answer(status: 503, body: ErrorBody(code: "unavailable", message: "the hub is stopping; send the request again later"))
        } catch let error as any HTTPResponseError {
            var response = Self.answer(
                status: Int(error.status.code), body: ErrorBody(code: "http-\(error.status.code)", message: "\(error.status.reasonPhrase)"))
            // 405 names the methods the path has.
            if let allow = (error as? HTTPError)?.headers[.allow] { response.headers[.allow] = allow }
            return response
        } catch {
            logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            return Self.answer(status: 500, body: ErrorBody(code: "internal", message: "the hub failed; sending the request again is safe"))
        }
    }

    static func answer(status: Int, body: ErrorBody) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.bytes)))
    }
}
