import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import NIOCore

/// The citizen lookup (tra cứu hồ sơ): no credential; limited per client address.
struct LookupController {
    let service: HubService
    let lookupLimiter: LookupLimiter

    func addRoutes(to router: Router<HubRequestContext>) {
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
                answer = try await HubApplication.offloaded { try service.lookup(code: code, idLastFour: digits) }
            } catch let error as StoreError {
                throw HubError.store(error)
            }
            guard let answer else {
                throw HubError.notFound("no dossier matches this code and these digits; check both on the receipt (Giấy tiếp nhận hồ sơ)")
            }
            return HubApplication.respond(CanonicalJSON.encode(answer.json), to: request)
        }
    }
}
