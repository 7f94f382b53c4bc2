import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import NIOCore

/// Enrolment (a one-time token for a credential) and the caps a node reads before it pushes.
struct EnrolmentController {
    let service: HubService
    let now: @Sendable () -> Int64

    func addRoutes(to router: Router<HubRequestContext>) {
        router.post(RouterPath(SyncPaths.enroll)) { request, context -> Response in
            let body = try await HubApplication.body(of: request, caps: service.caps)
            let enrolment: EnrollRequest
            do throws(WireError) {
                enrolment = try EnrollRequest(bytes: body)
            } catch {
                throw HubError.badRequest(error.description)
            }
            let answer = try await HubApplication.offloaded { try service.enroll(enrolment, now: now()) }
            return HubApplication.respond(answer.bytes, to: request)
        }
        router.get(RouterPath(SyncPaths.caps)) { request, context -> Response in
            HubApplication.respond(service.caps.bytes, to: request)
        }
    }
}
