import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import NIOCore

/// Whether the node's local API answers (for the office's software and a supervisor).
struct HealthController {
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get(RouterPath(LocalAPIPaths.live)) { _, _ -> Response in
            LocalAPI.json(200, ["status": "live"])
        }
    }
}
