import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import Logging
import NIOCore
import NIOPosix

/// The opened node the local API works on: the same database, workflow and key as the CLI's
/// dossier commands, so both write the same events under the same rules.
public struct LocalAPINode: Sendable {
    public let database: NodeDatabase
    public let workflow: Workflow
    public let key: SigningKey
    public let staffNames: [String: String]

    public init(database: NodeDatabase, workflow: Workflow, key: SigningKey, staffNames: [String: String]) {
        self.database = database
        self.workflow = workflow
        self.key = key
        self.staffNames = staffNames
    }
}

/// Who may call the local API: the bearer token (from a 0600 file) and the browser origins of the
/// office's one-stop software. A request without an `Origin` header (not from a browser) needs only
/// the token; one with an `Origin` must also be on the list, so a web page the clerk happens to open
/// cannot drive the API from the clerk's browser.
public struct LocalAPISettings: Sendable {
    public var token: String
    public var allowedOrigins: Set<String>

    public init(token: String, allowedOrigins: Set<String>) {
        self.token = token
        self.allowedOrigins = allowedOrigins
    }
}

/// The local API's paths, named once for the router, the tests and the OpenAPI document.
public enum LocalAPIPaths {
    public static let dossiers = "/v1/dossiers"
    public static let dossier = "/v1/dossiers/{code}"
    public static let receipt = "/v1/dossiers/{code}/receipt"
    public static let action = "/v1/dossiers/{code}/{action}"
    public static let live = "/health/live"
}

/// Why the local API refused a request: an HTTP status, a stable code and a message naming the
/// field. It writes its own answer (`HTTPResponseError`), which the API's one ``ErrorMiddleware``
/// sends.
public struct LocalAPIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Sent with the answer (`Allow` on a 405, `WWW-Authenticate` on a 401).
    public var headers: HTTPFields
    /// What was thrown when the node itself failed: logged, never sent.
    public internal(set) var cause: String?

    public init(_ status: Int, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = HTTPResponse.Status(code: status)
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// Any error thrown while answering, as the local API answers it: a store's or an action's
    /// input error mapped here, the router's with its status and headers, a request cut short by
    /// the node stopping as 503, anything else as a 500 whose cause is logged, never sent.
    public init(translating error: any Error) {
        switch error {
        case let error as LocalAPIError: self = error
        case let error as ActionInputError: self = .badRequest(error.description)
        case let error as StoreError:
            self.init(error)
            if status.code >= 500 { cause = error.description }
        case is CancellationError:
            self.init(503, "unavailable", "the node is stopping; send the request again with the same Idempotency-Key")
        case let error as HTTPError:
            self.init(Int(error.status.code), "http-\(error.status.code)", error.status.reasonPhrase)
            if let allow = error.headers[.allow] { headers[.allow] = allow }
        case let error as any HTTPResponseError:
            self.init(Int(error.status.code), "http-\(error.status.code)", error.status.reasonPhrase)
        default:
            self.init(500, "internal", "the node failed; sending the request again with the same Idempotency-Key is safe")
            cause = String(describing: error)
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(status: status, bytes: body, headers: headers)
    }

    static func badRequest(_ message: String) -> LocalAPIError { LocalAPIError(400, "bad-request", message) }

    var body: [UInt8] { CanonicalJSON.encode(["code": .string(code), "message": .string(message)]) }

    /// A store error as the API answers it.
    init(_ error: StoreError) {
        switch error {
        case .workflow(.forbidden(let rejection)):
            self.init(409, "forbidden-transition", "\(rejection.english) (\(rejection.vietnamese)); nothing was written")
        case .workflow(.unknownDossier(let code)):
            self.init(404, "unknown-dossier", "no dossier \(code) at this office")
        case .workflow(let workflow):
            self.init(400, "bad-request", "\(workflow.description); nothing was written")
        case .idempotencyKeyReused:
            self.init(422, "idempotency-key-reused", error.description)
        case .diskFull:
            // The office's software shows this to the clerk: the cause, and that nothing was saved.
            self.init(507, "disk-full", "\(error.description) (Ổ đĩa đầy: hồ sơ chưa được lưu)")
        case .diskFailed:
            self.init(503, "disk-error", "\(error.description) (Lỗi ghi đĩa: gửi lại yêu cầu)")
        case .invalidEvent, .notWritable:
            // Bad input the event validator caught (a field too long, a value out of range): the
            // same request will never succeed, so it is not "unavailable".
            self.init(400, "bad-request", error.description)
        default:
            self.init(503, "unavailable", "the node could not complete this request; sending it again with the same Idempotency-Key is safe")
        }
    }
}

/// `node run`'s local API (issue 5) on 127.0.0.1, for the office's one-stop software: everything the
/// CLI's dossier commands do — receive, every transition, list, show, print the receipt — as JSON
/// over HTTP. Every write needs an `Idempotency-Key` and is done exactly once per key.
public enum LocalAPI {
    /// The members of a receipt (`POST /v1/dossiers`), as the OpenAPI document lists them
    /// (`additionalProperties: false`); an action's are its ``WorkflowAction/members``.
    /// LocalAPIEndToEndTests holds both to the document.
    public static let intakeMembers: Set<String> = ["actor", "procedure", "applicant", "idNumber", "phone", "email", "address", "documents", "channel"]

    public static func buildRouter(
        node: LocalAPINode, settings: LocalAPISettings, logger: Logger, now: @escaping @Sendable () -> Int64 = LocalAPI.wallClock
    ) -> Router<BasicRequestContext> {
        let router = Router()
        // Outermost first: the origin check, then the token, then errors to answers.
        router.middlewares.add(OriginMiddleware(allowed: settings.allowedOrigins))
        router.middlewares.add(TokenMiddleware(token: settings.token))
        // Every error to its answer (LocalAPIError(translating:)); a failure of the node is logged.
        router.middlewares.add(
            ErrorMiddleware(translate: LocalAPIError.init(translating:)) { failure, request in
                if let cause = failure.cause {
                    logger.error("local API request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(cause)"])
                }
            })
        HealthController().addRoutes(to: router)
        DossierController(node: node, now: now).addRoutes(to: router)
        // Last, after every route: a known path with another method is 405, not 404.
        router.middlewares.add(MethodNotAllowedMiddleware(router: router))
        return router
    }

    /// The local API's application on 127.0.0.1 only (port 0: a free one, reported to `onServerRunning`).
    public static func build(
        node: LocalAPINode, settings: LocalAPISettings, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(node: node, settings: settings, logger: logger),
            // A client must send each request head in time (slowloris; see RequestHeadDeadline).
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestHeadDeadline()])),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "lienthong-node"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    public static let wallClock: @Sendable () -> Int64 = { WallClock.milliseconds() }

    /// Reads the API token from `path`, or makes a new random one there (mode 0600) if none exists.
    public static func token(at path: String) throws(StoreError) -> String {
        if let data = FileManager.default.contents(atPath: path) {
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else {
                throw StoreError.malformedFile(path: path, reason: "the API token is shorter than 32 characters; delete the file to make a new one")
            }
            return token
        }
        var generator = SystemRandomNumberGenerator()
        let token = Digest.hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try NodeDirectory.writeSecret(path: path, contents: token + "\n")
        return token
    }

    // MARK: Pieces

    /// A write's idempotency key (required) and body (at most 1 MiB).
    static func writeRequest(_ request: Request) async throws -> (IdempotencyKey, [UInt8]) {
        guard let name = HTTPField.Name("Idempotency-Key"), let key = request.headers[name], !key.isEmpty else {
            throw LocalAPIError.badRequest("Idempotency-Key: expected a header with a unique key per write (a UUID), so a retry cannot write twice")
        }
        guard key.count <= 255, key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7e }) else {
            throw LocalAPIError.badRequest("Idempotency-Key: expected 1 to 255 visible ASCII characters")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 1 << 20)
        } catch {
            throw LocalAPIError(413, "too-large", "the body is over 1 MiB")
        }
        let body = [UInt8](buffer.readableBytesView)
        let fingerprint = Digest.sha256Hex(Array("\(request.method.rawValue) \(request.uri.path)\n".utf8) + body)
        return (IdempotencyKey(key: key, fingerprint: fingerprint), body)
    }

    static func dossier(_ context: BasicRequestContext, node: LocalAPINode) async throws -> DossierState {
        let code = try context.parameters.require("code")
        guard let state = try await offloaded({ try node.database.dossier(code) }) else {
            throw LocalAPIError(404, "unknown-dossier", "no dossier \(code) at this office")
        }
        return state
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        do {
            return try QueryInteger(name, default: value, range: range).read(text)
        } catch {
            throw LocalAPIError.badRequest(error.description)
        }
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(value))))
    }

    static func respond(_ answer: WriteAnswer) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if answer.replayed, let name = HTTPField.Name("Idempotent-Replayed") { headers[name] = "true" }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Runs `write` (a write whose answer is made inside its transaction, passed through `early`)
    /// and returns the answer once the transaction has committed: nothing is acknowledged before
    /// it is saved.
    ///
    /// Planted bug `ack-before-commit` (debug builds only; the control run of the chaos scenario
    /// that kills a node mid-write): the answer goes out as soon as it is made, and the
    /// transaction commits half a second later.
    static func committedOrEarly(
        _ write: @escaping @Sendable (_ early: @escaping ((status: Int, body: [UInt8])) -> (status: Int, body: [UInt8])) throws -> WriteAnswer
    ) async throws -> WriteAnswer {
        guard PlantedBug.ackBeforeCommit.isActive else { return try await offloaded { try write { $0 } } }
        let (answers, continuation) = AsyncStream<WriteAnswer>.makeStream()
        Task.detached {
            defer { continuation.finish() }
            let final = try? await offloaded {
                try write { answer in
                    continuation.yield(WriteAnswer(status: answer.status, body: answer.body))
                    Thread.sleep(forTimeInterval: 0.5)
                    return answer
                }
            }
            // A replayed answer is made without running the closure: it comes out here.
            if let final { continuation.yield(final) }
        }
        for await answer in answers { return answer }
        throw LocalAPIError(500, "internal", "the write failed")
    }

    /// `write`'s answer. Planted bug `acknowledge-failed-writes` (debug builds only; the control
    /// run of the chaos scenario that fills the node's disk): a receipt the full disk refused is
    /// answered 201 with a made-up dossier code.
    static func acknowledgingFailedWritesIfPlanted(_ write: () async throws -> WriteAnswer) async throws -> WriteAnswer {
        do {
            return try await write()
        } catch let error as StoreError {
            switch error {
            case .diskFull, .diskFailed: break
            default: throw error
            }
            if PlantedBug.acknowledgeFailedWrites.isActive {
                return WriteAnswer(status: 201, body: CanonicalJSON.encode(["dossier": ["code": .string("unsaved-\(UUID().uuidString)")]]))
            }
            throw error
        }
    }

}

/// A JSON request body's fields, each error naming the field and what was expected.
struct Body: ActionRequest {
    let members: [String: JSONValue]

    init(_ bytes: [UInt8]) throws {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw LocalAPIError.badRequest("body: expected a JSON object (\(error))")
        }
        guard let members = value.objectValue else { throw LocalAPIError.badRequest("body: expected a JSON object") }
        self.members = members
    }

    /// Refuses a member the request does not have: a client that sends `code`, `status` or
    /// `appointment` learns that the node sets them, instead of seeing them silently dropped.
    /// Also checks the type of every member present (`documents` an array of strings, the others
    /// strings, `until` a date), before anything is read.
    func refuseOthers(than known: Set<String>) throws {
        for key in members.keys.sorted() {
            guard known.contains(key) else {
                throw LocalAPIError.badRequest(
                    "\(key): not a member of this request (expected only \(known.sorted().joined(separator: ", "))); the node sets codes, "
                        + "statuses, times and appointments itself; nothing was written")
            }
            if key == "documents" {
                _ = try strings(key)
            } else if let text = try optionalString(key) {
                // (`decision` is checked where `resolve` reads it.)
                if key == "until", text.utf8.count != 10 || LocalDate(iso: text) == nil {
                    throw LocalAPIError.badRequest("until: expected a date as yyyy-mm-dd; found \"\(text.prefix(40))\"")
                }
            }
        }
    }

    func string(_ key: String) throws(ActionInputError) -> String {
        guard let value = try optionalString(key), !value.isEmpty else { throw ActionInputError("\(key): expected a non-empty string; it is missing") }
        return value
    }

    func optionalString(_ key: String) throws(ActionInputError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw ActionInputError("\(key): expected a string") }
        return text
    }

    func strings(_ key: String) throws(ActionInputError) -> [String] {
        guard let value = members[key], value != .null else { return [] }
        guard case .array(let items) = value, let texts = Optional(items.compactMap(\.stringValue)), texts.count == items.count else {
            throw ActionInputError("\(key): expected an array of strings")
        }
        return texts
    }
}

/// 403 for a browser `Origin` not on the allow-list; CORS headers and preflight answers for those on it.
struct OriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        guard allowed.contains(origin) else {
            let error = LocalAPIError(403, "forbidden-origin", "Origin \(origin) is not allowed; add it with `lienthong node run --api-origin \(origin)`")
            return try error.response(from: request, context: context)
        }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Idempotency-Key"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}

/// 401 without the bearer token (compared in constant time).
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let sent = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        let expected = Array(token.utf8)
        let given = Array(sent.utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        guard difference == 0 else {
            // RFC 6750: a 401 names the scheme it wants.
            let error = LocalAPIError(
                401, "unauthorized", "send `Authorization: Bearer <token>`; the token is in the node's api.token file (mode 0600)",
                headers: [.wwwAuthenticate: #"Bearer realm="lienthong-node""#])
            return try error.response(from: request, context: context)
        }
        return try await next(request, context)
    }
}
