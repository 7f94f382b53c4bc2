import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import NIOCore

/// The sync protocol of DESIGN §5: push, pull (long-polling on the store's commits), take-back and own.
struct SyncController {
    let service: HubService
    let metrics: HubMetrics
    let now: @Sendable () -> Int64
    let clock: any Clock<Duration>

    func addRoutes(to router: Router<HubRequestContext>) {
        // A local, not the property: a long-poll's generic wait opens the existential only from a value.
        let clock = clock
        router.post(RouterPath(SyncPaths.push)) { request, context -> Response in
            let (node, push) = try await authenticatedMessage(request) { bytes throws(WireError) in try PushRequest(bytes: bytes) }
            let contact = HubApplication.contact(of: request, now: now())
            let response = try await HubApplication.pushCommittedOrEarly(service, push, node: node, now: now, contact: contact)
            for result in response.results {
                metrics.batch(outcome: result.outcome.rawValue)
                metrics.stored(node: result.origin, events: result.stored)
                if result.outcome != .stored && result.outcome != .duplicate { metrics.rejected(reason: result.outcome.rawValue) }
            }
            return HubApplication.respond(response.bytes, to: request)
        }
        router.get(RouterPath(SyncPaths.pull)) { request, context -> Response in
            let query = request.uri.queryParameters
            let node = try HubApplication.feedNode(query.get("node"), credentialNode: try service.authenticate(credential: HubApplication.bearer(request)))
            let since = try HubApplication.integer(query.get("since"), name: "since", default: 0, minimum: 0)
            let limit = try HubApplication.integer(query.get("limit"), name: "limit", default: 500, minimum: 1)
            let wait = min(try HubApplication.integer(query.get("wait"), name: "wait", default: 0, minimum: 0), service.caps.maxWaitSeconds)
            let contact = HubApplication.contact(of: request, now: now())
            // Read (and record the delivery up to `since`) on arrival: a node that holds position N
            // has it delivered now, not when its long-poll ends up to 25 s later.
            let first = try await HubApplication.offloaded { try service.pull(node: node, since: since, limit: limit, now: now(), contact: contact) }
            guard first.entries.isEmpty, wait > 0 else { return HubApplication.respond(first.bytes, to: request) }
            // Long-poll: while the feed has nothing after `since`, sleep until the store's commit
            // wakes it (a push, a decision, a take-back — in this process at once, another
            // process's as soon as the store sees it) or the wait ends. Nothing polls the feed.
            // A graceful shutdown answers at once (an empty page), so it is not held for the wait.
            try await service.feedChanges.longPoll(for: .seconds(max(0, wait)), clock: clock) {
                try service.feedEnd(node: node) <= since
            }
            // The credential again: one revoked during the wait gets nothing that arrived meanwhile.
            _ = try service.authenticate(credential: HubApplication.bearer(request))
            let page = try await HubApplication.offloaded {
                try service.pull(node: node, since: since, limit: limit, now: now(), contact: contact, recordDelivery: false)
            }
            return HubApplication.respond(page.bytes, to: request)
        }
        router.post(RouterPath(SyncPaths.returnEvents)) { request, context -> Response in
            let (node, returned) = try await authenticatedMessage(request) { bytes throws(WireError) in try ReturnRequest(bytes: bytes) }
            let response = try await HubApplication.offloaded { try service.takeBack(returned, node: node, now: now()) }
            return HubApplication.respond(response.bytes, to: request)
        }
        router.get(RouterPath(SyncPaths.own)) { request, context -> Response in
            let query = request.uri.queryParameters
            let node = try HubApplication.feedNode(query.get("node"), credentialNode: try service.authenticate(credential: HubApplication.bearer(request)))
            let fromSeq = try HubApplication.integer(query.get("fromSeq"), name: "fromSeq", default: 1, minimum: 1)
            let limit = try HubApplication.integer(query.get("limit"), name: "limit", default: 500, minimum: 1)
            let own = try await HubApplication.offloaded { try service.own(node: node, fromSeq: fromSeq, limit: limit) }
            return HubApplication.respond(own.bytes, to: request)
        }
    }

    /// The node the credential names and the request's body decoded: a body over the caps is 413,
    /// one that does not decode a 400 naming what is wrong.
    func authenticatedMessage<Message>(
        _ request: Request, _ decode: ([UInt8]) throws(WireError) -> Message
    ) async throws -> (node: String, message: Message) {
        let node = try service.authenticate(credential: HubApplication.bearer(request))
        let body = try await HubApplication.body(of: request, caps: service.caps)
        do throws(WireError) {
            return (node, try decode(body))
        } catch {
            throw HubError.badRequest(error.description)
        }
    }
}
