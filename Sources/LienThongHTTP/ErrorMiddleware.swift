import HTTPTypes
import Hummingbird
import NIOCore

/// The one place a server turns what was thrown into an answer. Each server names its failure type
/// (the hub's `HubError`, the local API's `LocalAPIError`): an error that carries its status and
/// writes its own body (Hummingbird's `HTTPResponseError`), so this middleware only translates and
/// observes.
///
/// `translate` maps anything thrown below it to the server's failure: its own failures as they are,
/// Hummingbird's errors (an unknown path, a method the path lacks, a body too large) with their status
/// and headers, a cancelled request (the server is stopping) and, last, the unexpected, which becomes
/// a 500 whose cause is never sent. `observe` sees each failure (logging, metrics) before it is
/// answered; a failure keeps the cause it logs.
public struct ErrorMiddleware<Context: RequestContext, Failure: HTTPResponseError & Sendable>: RouterMiddleware {
    let translate: @Sendable (any Error) -> Failure
    let observe: @Sendable (Failure, Request) -> Void

    public init(
        translate: @escaping @Sendable (any Error) -> Failure,
        observe: @escaping @Sendable (Failure, Request) -> Void = { _, _ in }
    ) {
        self.translate = translate
        self.observe = observe
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = translate(error)
            observe(failure, request)
            return try failure.response(from: request, context: context)
        }
    }
}

extension Response {
    /// A JSON answer with `status`, these bytes as the body and, on top, these headers.
    public static func json(status: HTTPResponse.Status, bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
