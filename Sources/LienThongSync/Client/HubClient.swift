import Foundation
import LienThongCore
import LienThongStore
import LienThongWire
import NIOConcurrencyHelpers

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Why a call to the hub failed.
public enum HubClientError: Error, Sendable, CustomStringConvertible {
    /// No answer within the timeout.
    case timeout
    /// The hub could not be reached (refused, reset, name lookup).
    case unreachable(String)
    /// The hub answered with an error status and body.
    case status(Int, ErrorBody?)
    /// The answer is not what the protocol says.
    case malformed(String)

    public var description: String {
        switch self {
        case .timeout: "the hub did not answer in time"
        case .unreachable(let reason): "the hub is unreachable: \(reason)"
        case .status(let code, let body): "the hub answered \(code)" + (body.map { ": \($0.message)" } ?? "")
        case .malformed(let reason): "the hub's answer is malformed: \(reason)"
        }
    }

    /// The engine's view of the failure.
    public var failure: SyncEngine.Failure {
        switch self {
        case .timeout: .timeout
        case .unreachable(let reason): .unavailable(reason)
        case .status(413, _): .tooLarge
        case .status(409, let body?) where body.code == "hub-behind":
            .hubBehind(feedEnd: body.feedEnd ?? 0, storedSeq: body.head?.seq ?? 0)
        case .status(let code, _) where code >= 500: .unavailable(description)
        case .status: .refused(description)
        case .malformed(let reason): .unavailable(reason)
        }
    }
}

/// One request to the hub and its answer, bodies uncompressed: what ``HubClient``'s observer sees
/// (the contract tests validate them against the OpenAPI document).
public struct HubExchange: Sendable {
    public var method: String
    public var path: String
    public var queryNames: [String]
    public var requestBody: [UInt8]?
    public var status: Int
    public var responseBody: [UInt8]
}

/// The node's HTTP client for the hub: URLSession (FoundationNetworking on libcurl), one session so
/// connections are reused, explicit timeouts, gzip both ways.
public final class HubClient: Sendable {
    public let baseURL: URL
    public let credential: String?
    /// The node the credential belongs to, named on pulls so the hub can refuse a mix-up (403).
    public let node: String?
    let session: URLSession
    /// The timeout of a request that does not long-poll.
    public let timeout: TimeInterval
    /// The node's head, sent with every request (`LienThong-Head`), and the hub's clock minus ours
    /// as measured at the last answer.
    ///
    /// Behind NIO's pthread lock, not the standard library's `Mutex`: on Linux a contended `Mutex`
    /// is handed over by the kernel (a futex), which ThreadSanitizer cannot see, so it reported the
    /// push and pull tasks' writes here as a race (Scripts/sanitizers.sh, 2026-11-22). The hub's
    /// and the store's shared state uses the same lock for the same reason.
    private let contact = NIOLockedValueBox<Contact>(Contact())

    struct Contact {
        var head: Int?
        var skewMs: Int64?
        /// The skew last handed out to be recorded, and when.
        var recorded: (skewMs: Int64, at: Int64)?
    }
    /// Sees every answered request (tests record them); nil in production.
    let observer: (@Sendable (HubExchange) -> Void)?

    public init(
        baseURL: URL, credential: String?, node: String? = nil, timeout: TimeInterval = 30, observer: (@Sendable (HubExchange) -> Void)? = nil
    ) {
        self.observer = observer
        self.baseURL = baseURL
        self.credential = credential
        self.node = node
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = 3600
        configuration.httpMaximumConnectionsPerHost = 4
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func enroll(_ request: EnrollRequest) async throws(HubClientError) -> EnrollResponse {
        let bytes = try await send("POST", path: SyncPaths.enroll, body: request.bytes, timeout: timeout)
        return try decode { () throws(WireError) in try EnrollResponse(bytes: bytes) }
    }

    public func push(_ request: PushRequest) async throws(HubClientError) -> PushResponse {
        let bytes = try await send("POST", path: SyncPaths.push, body: request.bytes, timeout: timeout)
        return try decode { () throws(WireError) in try PushResponse(bytes: bytes) }
    }

    public func pull(since: Int, limit: Int, wait: Int) async throws(HubClientError) -> PullPage {
        let bytes = try await send(
            "GET", path: SyncPaths.pull, query: nodeQuery + [("since", "\(since)"), ("limit", "\(limit)"), ("wait", "\(wait)")],
            timeout: timeout + TimeInterval(wait))
        return try decode { () throws(WireError) in try PullPage(bytes: bytes) }
    }

    public func returnEvents(_ request: ReturnRequest) async throws(HubClientError) -> ReturnResponse {
        let bytes = try await send("POST", path: SyncPaths.returnEvents, body: request.bytes, timeout: timeout)
        return try decode { () throws(WireError) in try ReturnResponse(bytes: bytes) }
    }

    public func own(fromSeq: Int, limit: Int) async throws(HubClientError) -> OwnEvents {
        let bytes = try await send("GET", path: SyncPaths.own, query: nodeQuery + [("fromSeq", "\(fromSeq)"), ("limit", "\(limit)")], timeout: timeout)
        return try decode { () throws(WireError) in try OwnEvents(bytes: bytes) }
    }

    var nodeQuery: [(String, String)] { node.map { [("node", $0)] } ?? [] }

    /// Tells the hub the node's head from now on (it shows how far behind the node is).
    public func report(head: Int) { contact.withLockedValue { $0.head = head } }

    /// Notes the hub's clock (`LienThong-Clock`) as read at `now`: the hub's clock minus ours,
    /// positive when ours is behind. Measured when the answer arrived, so off by at most its
    /// transit time. An implausible stamp is ignored.
    func observe(hubClock stamp: Int64, at now: Int64) {
        guard let skew = NodeContactRecord.skew(remote: stamp, local: now) else { return }
        contact.withLockedValue { $0.skewMs = skew }
    }

    /// The measured skew when it is worth writing down: the first time, when it moved by more than
    /// a second, or when the last record is over five minutes old. So most contacts cost the
    /// database nothing (no write transaction next to the clerks' writes).
    public func skewToRecord(now: Int64) -> Int64? {
        contact.withLockedValue { state in
            guard let skew = state.skewMs else { return nil }
            if let last = state.recorded, abs(last.skewMs - skew) <= 1_000, now - last.at <= 300_000 { return nil }
            state.recorded = (skew, now)
            return skew
        }
    }

    func decode<T>(_ work: () throws(WireError) -> T) throws(HubClientError) -> T {
        do {
            return try work()
        } catch {
            throw .malformed(error.description)
        }
    }

    /// Sends one request; bodies over 1 KiB go gzip-compressed.
    func send(
        _ method: String, path: String, query: [(String, String)] = [], body: [UInt8]? = nil, timeout: TimeInterval
    ) async throws(HubClientError) -> [UInt8] {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else { throw .malformed("bad hub URL \(baseURL)") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
        if let credential { request.setValue("Bearer \(credential)", forHTTPHeaderField: "Authorization") }
        request.setValue(String(Self.wallMilliseconds()), forHTTPHeaderField: SyncHeaders.clock)
        if let head = contact.withLockedValue({ $0.head }) { request.setValue(String(head), forHTTPHeaderField: SyncHeaders.head) }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if body.count > 1024, let compressed = try? Gzip.compress(body) {
                request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
                request.httpBody = Data(compressed)
            } else {
                request.httpBody = Data(body)
            }
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await load(request)
        } catch let error as URLError where error.code == .timedOut {
            throw .timeout
        } catch let error as URLError where error.code == .cancelled {
            throw .unreachable("cancelled")
        } catch {
            throw .unreachable(error.localizedDescription)
        }
        var bytes = [UInt8](data)
        // libcurl may or may not have inflated a gzip answer already; the magic bytes tell.
        if Gzip.isCompressed(bytes) {
            do {
                bytes = try Gzip.decompress(bytes, limit: 256 << 20)
            } catch {
                throw .malformed(error.description)
            }
        }
        let http = response as? HTTPURLResponse
        if let stamp = http?.value(forHTTPHeaderField: SyncHeaders.clock).flatMap({ Int64($0) }) {
            observe(hubClock: stamp, at: Self.wallMilliseconds())
        }
        let status = http?.statusCode ?? 0
        observer?(HubExchange(method: method, path: path, queryNames: query.map(\.0), requestBody: body, status: status, responseBody: bytes))
        guard status == 200 else {
            throw .status(status, try? ErrorBody(bytes: bytes))
        }
        return bytes
    }

    static func wallMilliseconds() -> Int64 { WallClock.milliseconds() }

    /// One request on the shared session, cancelled with the calling task: FoundationNetworking's
    /// `data(for:)` ignores task cancellation, so a long-poll would hold a graceful shutdown for
    /// its whole wait.
    func load(_ request: URLRequest) async throws -> (Data, URLResponse) {
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let response {
                        continuation.resume(returning: (data ?? Data(), response))
                    } else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                    }
                }
                if !box.start(task) { continuation.resume(throwing: URLError(.cancelled)) }
            }
        } onCancel: {
            box.cancel()
        }
    }
}

/// The data task of one request, so a cancellation arriving before or after it starts cancels it.
private final class TaskBox: @unchecked Sendable {
    // Safe: `task` and `cancelled` are only touched under `lock`.
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    /// Starts `task` unless the request was already cancelled; returns whether it started.
    func start(_ task: URLSessionDataTask) -> Bool {
        let cancelled = lock.withLock {
            self.task = task
            return self.cancelled
        }
        if !cancelled { task.resume() }
        return !cancelled
    }

    func cancel() {
        let task = lock.withLock {
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}

extension HubLink {
    /// The link a node pins from the hub's answer to its enrolment at `url`.
    public init(url: String, enrolment answer: EnrollResponse, enrolledAt: Int64) {
        self.init(
            url: url, hub: answer.hub, hubEpoch: answer.hubEpoch, hubPublicKey: answer.hubPublicKey, hubAgency: answer.hubAgency,
            enrolledAt: enrolledAt)
    }
}
