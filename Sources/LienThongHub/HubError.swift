import HTTPTypes
import Hummingbird
import LienThongHTTP
import LienThongStore
import LienThongWire

/// Why the hub refused a request. Each case maps to one HTTP status in one place
/// (``HubError/status``) and says what the client should do; it writes its own answer
/// (`HTTPResponseError`), which the hub's one ``ErrorMiddleware`` sends.
public enum HubError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The request is malformed: which field, what was expected.
    case badRequest(String)
    /// No credential, or one the hub does not know.
    case unauthorized(String)
    /// The credential is valid but not for this (pushing as another node, another node's feed).
    case forbidden(String)
    case notFound(String)
    /// The request contradicts the hub's state (enrolling a node that is enrolled, without --replace).
    case conflict(String)
    /// `since` is past the feed's end: the hub was restored from a backup.
    case hubBehind(feedEnd: Int, head: ChainHead)
    /// The body or the batch is over the advertised caps.
    case tooLarge(String)
    /// Too many citizen lookups from one address: retry after this many seconds.
    case tooManyRequests(retryAfter: Int)
    /// The hub's storage failed; the client retries later. The cause is logged, never sent.
    case store(StoreError)
    /// The router's own refusal (an unknown path, a method the path lacks, a body over the
    /// server's limit), with its headers (`Allow`).
    case routing(HTTPResponse.Status, headers: HTTPFields)
    /// The request was cut short because the hub is stopping: nothing failed; send it again later.
    case stopping
    /// Something nobody expected failed. The cause is logged, never sent.
    case unexpected(String)

    /// Any error thrown while answering, as the hub answers it.
    public init(translating error: any Error) {
        switch error {
        case let error as HubError: self = error
        case let error as StoreError: self = .store(error)
        case is CancellationError: self = .stopping
        case let error as HTTPError: self = .routing(error.status, headers: error.headers)
        case let error as any HTTPResponseError: self = .routing(error.status, headers: [:])
        default: self = .unexpected(String(describing: error))
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let message): "bad request: \(message)"
        case .unauthorized(let message): "unauthorized: \(message)"
        case .forbidden(let message): "forbidden: \(message)"
        case .notFound(let message): "not found: \(message)"
        case .conflict(let message): "conflict: \(message)"
        case .hubBehind(let feedEnd, let head):
            "hub-behind: the hub's feed ends at \(feedEnd) (it was restored from a backup); it holds this node up to seq \(head.seq): push again from there"
        case .tooLarge(let message): "too large: \(message)"
        case .tooManyRequests(let seconds): "too many lookups from this address; try again in \(seconds) s"
        case .store(let error): "hub storage error: \(error.description)"
        case .routing(let status, _): "\(status.code) \(status.reasonPhrase)"
        case .stopping: "the hub is stopping; send the request again later"
        case .unexpected(let cause): "unexpected: \(cause)"
        }
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .hubBehind: 409
        case .tooLarge: 413
        case .tooManyRequests: 429
        case .store: 503
        case .routing(let status, _): status
        case .stopping: 503
        case .unexpected: 500
        }
    }

    /// Whether the hub failed rather than the request (logged, not counted as a rejection).
    public var isHubFailure: Bool {
        switch self {
        case .store, .unexpected: true
        default: false
        }
    }

    /// What the client reads. A storage error says only that the hub cannot store now.
    public var body: ErrorBody {
        switch self {
        case .badRequest: ErrorBody(code: "bad-request", message: description)
        case .unauthorized: ErrorBody(code: "unauthorized", message: description)
        case .forbidden: ErrorBody(code: "forbidden", message: description)
        case .notFound: ErrorBody(code: "not-found", message: description)
        case .conflict: ErrorBody(code: "conflict", message: description)
        case .hubBehind(let feedEnd, let head): ErrorBody(code: "hub-behind", message: description, feedEnd: feedEnd, head: head)
        case .tooLarge: ErrorBody(code: "too-large", message: description)
        case .tooManyRequests: ErrorBody(code: "rate-limited", message: description)
        case .store: ErrorBody(code: "unavailable", message: "the hub could not complete this request; sending it again is safe")
        case .routing(let status, _): ErrorBody(code: "http-\(status.code)", message: status.reasonPhrase)
        case .stopping: ErrorBody(code: "unavailable", message: description)
        case .unexpected: ErrorBody(code: "internal", message: "the hub failed; sending the request again is safe")
        }
    }

    /// The answer: the status, the JSON body, and `Retry-After` or `Allow` where they apply.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [:]
        switch self {
        case .tooManyRequests(let seconds): headers[.retryAfter] = String(seconds)
        case .routing(_, let fields): if let allow = fields[.allow] { headers[.allow] = allow }
        default: break
        }
        return .json(status: status, bytes: body.bytes, headers: headers)
    }
}
