import LienThongStore
import LienThongWire

/// Why the hub refused a request. Each case maps to one HTTP status in one place
/// (``HubError/status``) and says what the client should do.
public enum HubError: Error, Sendable, CustomStringConvertible {
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
        }
    }

    /// The HTTP status code.
    public var status: Int {
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
        }
    }
}
