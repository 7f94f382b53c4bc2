import Foundation
import Hummingbird
import LienThongCore
import LienThongHub
import LienThongTesting
import Logging
import Testing

/// The hub's router and Docs/openapi-hub.json name the same operations: a route added without
/// documenting it, or documented and never served, fails here.
@Suite struct OpenAPIRouteTests {
    @Test func theHubsRoutesAreTheDocumentsOperations() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let prepared = try LiveHub.makeService(directory: root)
        let service = prepared.service
        let router = HubApplication.buildRouter(service: service, logger: Logger(label: "test"))
        let served = OpenAPIContract.operations(of: router)
        let documented = try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-hub.json").operations
        #expect(
            served == documented, "served but not documented: \(served.subtracting(documented)); documented but not served: \(documented.subtracting(served))")
        #expect(served.contains("POST /v1/sync/push"))
    }

    @Test func plainHTTPIsAllowedOnlyToThisMachine() {
        for host in ["127.0.0.1", "127.10.0.3", "localhost", "::1", "[::1]"] { #expect(HubApplication.isLoopback(host), "\(host)") }
        for host in ["127.attacker.example", "127.0.0", "127.0.0.1.example.org", "128.0.0.1", "10.0.0.1", "hub.example", "127.0.0.256"] {
            #expect(!HubApplication.isLoopback(host), "\(host)")
        }
    }

    @Test func theValidatorCatchesWhatTheDocumentForbids() throws {
        let contract = try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-hub.json")
        let caps = Array(#"{"maxEventsPerBatch":5000,"maxBodyBytes":1,"maxInflatedBytes":1,"maxPullLimit":1,"maxWaitSeconds":1}"#.utf8)
        #expect(contract.problems(HTTPExchange(method: "GET", path: "/v1/sync/caps", requestBody: nil, status: 200, responseBody: caps)) == [])
        let extra = Array(#"{"maxEventsPerBatch":5000,"maxBodyBytes":1,"maxInflatedBytes":1,"maxPullLimit":1,"maxWaitSeconds":1,"x":1}"#.utf8)
        #expect(
            contract.problems(HTTPExchange(method: "GET", path: "/v1/sync/caps", requestBody: nil, status: 200, responseBody: extra)) == [
                "GET /v1/sync/caps → 200: response.x: not allowed"
            ])
        let wrongType = Array(#"{"error":"gap","message":7}"#.utf8)
        #expect(
            contract.problems(HTTPExchange(method: "POST", path: "/v1/sync/push", requestBody: nil, status: 401, responseBody: wrongType)) == [
                "POST /v1/sync/push → 401: response.message: expected string, found integer"
            ])
        #expect(contract.problems(HTTPExchange(method: "GET", path: "/v1/sync/caps", requestBody: nil, status: 418, responseBody: caps)).count == 1)
        #expect(contract.problems(HTTPExchange(method: "GET", path: "/v1/nowhere", requestBody: nil, status: 200, responseBody: [])).count == 1)
        #expect(
            contract.problems(
                HTTPExchange(
                    method: "GET", path: "/v1/sync/pull", query: ["since", "bogus"], requestBody: nil, status: 401,
                    responseBody: Array(#"{"error":"unauthorized","message":"m"}"#.utf8))) == [
                    "GET /v1/sync/pull → 401: query parameter bogus is not in /v1/sync/pull"
                ])
    }
}
