import HTTPTypes
import Hummingbird

/// Answers a request for a known path with a method none of its routes has with 405 Method Not
/// Allowed and an `Allow` header, where the router alone would answer 404 as for an unknown path.
/// Add it last, after every route: it takes the routes as they are then.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each route's path, split at "/" as the router splits it (empty segments dropped; a capture,
    /// which Hummingbird writes `{name}`, matches any one segment), and its methods.
    let routes: [(segments: [String], methods: Set<HTTPRequest.Method>)]

    public init(router: Router<Context>) {
        var grouped: [String: Set<HTTPRequest.Method>] = [:]
        for route in router.routes { grouped["\(route.path)", default: []].insert(route.method) }
        routes = grouped.map { path, methods in (path.split(separator: "/").map(String.init), methods) }
    }

    /// Only when the router found no route (its 404): the requests it serves cost nothing more.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            let allowed = routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in
                        pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == segment
                    }
            }.reduce(into: Set<HTTPRequest.Method>()) { $0.formUnion($1.methods) }
            // HEAD where a GET route exists stays the router's answer, as before.
            guard !allowed.isEmpty, !allowed.contains(request.method), !(request.method == .head && allowed.contains(.get)) else { throw error }
            throw HTTPError(.methodNotAllowed, headers: [.allow: allowed.map(\.rawValue).sorted().joined(separator: ", ")])
        }
    }
}
