import Hummingbird
import LienThongCore
import LienThongHub
import LienThongLocalAPI
import LienThongStore
import Testing

/// Both servers answer every error through one middleware (LienThongHTTP's `ErrorMiddleware`), each
/// with its own translation: what was thrown → the status, the body's code and the headers.
@Suite struct ErrorTranslationTests {
    struct Unexpected: Error, CustomStringConvertible {
        var description: String { "secret detail /var/lib/lienthong/hub.sqlite" }
    }

    @Test func theHubAnswersEachKindOfErrorWithItsStatusAndNeverSendsACause() throws {
        let routed = HubError(translating: HTTPError(.methodNotAllowed, headers: [.allow: "GET, POST"]))
        #expect(routed.status == .methodNotAllowed && routed.body.code == "http-405")
        let stopping = HubError(translating: CancellationError())
        #expect(stopping.status == .serviceUnavailable && stopping.body.code == "unavailable" && !stopping.isHubFailure)
        let unexpected = HubError(translating: Unexpected())
        #expect(unexpected.status == .internalServerError && unexpected.body.code == "internal" && unexpected.isHubFailure)
        #expect(!unexpected.body.message.contains("secret"))
        let store = HubError(translating: StoreError.diskFull(operation: "push"))
        #expect(store.status == .serviceUnavailable && !store.body.message.contains("push") && store.isHubFailure)
        let own = HubError(translating: HubError.tooManyRequests(retryAfter: 7))
        #expect(own.status == .tooManyRequests && own.body.code == "rate-limited")
    }

    @Test func theLocalAPIAnswersEachKindOfErrorWithItsStatusAndLogsOnlyItsOwnFailures() throws {
        let routed = LocalAPIError(translating: HTTPError(.methodNotAllowed, headers: [.allow: "GET"]))
        #expect(routed.status == .methodNotAllowed && routed.code == "http-405" && routed.headers[.allow] == "GET" && routed.cause == nil)
        let input = LocalAPIError(translating: ActionInputError("reason: expected a string"))
        #expect(input.status == .badRequest && input.message == "reason: expected a string" && input.cause == nil)
        let full = LocalAPIError(translating: StoreError.diskFull(operation: "receive"))
        #expect(full.status.code == 507 && full.code == "disk-full" && full.message.contains("Ổ đĩa đầy"))
        let stopping = LocalAPIError(translating: CancellationError())
        #expect(stopping.status == .serviceUnavailable && stopping.cause == nil)
        let unexpected = LocalAPIError(translating: Unexpected())
        #expect(unexpected.status == .internalServerError && unexpected.code == "internal" && !unexpected.message.contains("secret"))
        #expect(unexpected.cause?.contains("secret") == true)
    }
}
