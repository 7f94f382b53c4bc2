import Foundation
import Hummingbird
import LienThongCore
import LienThongLocalAPI
import LienThongStore
import LienThongTesting
import Logging
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The local API of a real `node run` process on 127.0.0.1: the token, the origin allow-list, the
/// Idempotency-Key, and every kind of answer, with real HTTP (URLSession) and the node's SQLite file.
@Suite(.serialized) struct LocalAPIEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// A running node with its API, and how to call it.
    final class API {
        let site: Site
        let daemon: CLIProcess.Running
        let base: URL
        let token: String
        let tokenPath: String
        let session = URLSession(configuration: .ephemeral)
        /// Every call and its answer, checked against Docs/openapi-local.json when the test ends.
        let exchanges = ExchangeRecorder()

        init() throws {
            site = try Site()
            try site.initHub()
            try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
            try site.startHub()
            try site.enroll("xa-23059")
            daemon = try CLIProcess.Running([
                "node", "run", "--api-port", "0", "--api-origin", "http://motcua.local", "--data-dir", site.dir("xa-23059"),
            ])
            #expect(daemon.nextLine()?.hasPrefix("syncing") == true, "\(daemon.stderr)")
            let line = daemon.nextLine() ?? ""
            guard line.hasPrefix("local API on http://127.0.0.1:"),
                let port = Int(line.dropFirst("local API on http://127.0.0.1:".count).prefix { $0.isNumber }),
                let base = URL(string: "http://127.0.0.1:\(port)")
            else { throw Eventually.TimedOut(description: "node run printed \"\(line)\": \(daemon.stderr)") }
            self.base = base
            tokenPath = site.dir("xa-23059") + "/api.token"
            token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Checks every recorded exchange against the document, then stops the node.
        func stop(sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let contract = try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-local.json")
                // Refusals before routing (401, 403) are documented on every operation, preflights are CORS.
                // (An unknown action is an unknown path: answered 404, and in no document; a 405
                // answers a method the document does not have.)
                let routed = exchanges.exchanges.filter { $0.method != "OPTIONS" && !$0.path.hasSuffix("/teleport") && $0.status != 405 }
                #expect(contract.problems(routed) == [], sourceLocation: sourceLocation)
            } catch {
                Issue.record(error, sourceLocation: sourceLocation)
            }
            daemon.terminate()
            site.remove()
        }

        struct Answer {
            let status: Int
            let headers: [AnyHashable: Any]
            let body: Data
            var json: JSONValue? { try? JSONParser.parse([UInt8](body)) }
            var text: String { String(decoding: body, as: UTF8.self) }
            func header(_ name: String) -> String? { headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String }
        }

        func call(
            _ method: String, _ path: String, body: JSONValue? = nil, token: String?? = .none, origin: String? = nil, key: String? = nil
        ) async throws -> Answer {
            var request = URLRequest(url: URL(string: base.absoluteString + path)!)
            request.httpMethod = method
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            if let bearer = token ?? self.token { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
            if let origin { request.setValue(origin, forHTTPHeaderField: "Origin") }
            if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
            if let body {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(CanonicalJSON.encode(body))
            }
            let (data, response) = try await session.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            let components = URLComponents(string: path)
            exchanges.record(
                HTTPExchange(
                    method: method, path: components?.path ?? path, query: components?.queryItems?.map(\.name) ?? [],
                    requestBody: request.httpBody.map { [UInt8]($0) }, status: http.statusCode, responseBody: [UInt8](data)))
            return Answer(status: http.statusCode, headers: http.allHeaderFields, body: data)
        }

        var eventCount: Int { get throws { try site.database("xa-23059").eventCount() } }
    }

    static let intake: JSONValue = [
        "actor": "cb-tiepnhan-01", "procedure": "1.001776", "applicant": "Trần Thị Bích", "idNumber": "060185004321",
        "phone": "0987 654 321", "address": "thôn Lâm Hòa, thị trấn Ma Lâm", "documents": ["Tờ khai đề nghị trợ cấp xã hội"],
        "channel": "counter",
    ]

    @Test func theRoutesAreTheDocumentsOperations() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-local-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let node = try LiveNode(directory: root)
        let router = LocalAPI.buildRouter(
            node: LocalAPINode(database: node.database, workflow: node.workflow, key: node.key, staffNames: [:]),
            settings: LocalAPISettings(token: String(repeating: "t", count: 32), allowedOrigins: []), logger: Logger(label: "test"))
        let served = OpenAPIContract.operations(of: router)
        let documented = try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-local.json").operations
        #expect(served == documented, "served, not documented: \(served.subtracting(documented)); documented, not served: \(documented.subtracting(served))")
    }

    @Test func theTokenGuardsEveryRouteAndItsFileIsPrivate() async throws {
        let api = try API()
        defer { api.stop() }
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: api.tokenPath)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        let routes = [
            ("GET", "/v1/dossiers"), ("GET", "/v1/dossiers/23059-261122-0001"), ("GET", "/v1/dossiers/23059-261122-0001/receipt"),
            ("POST", "/v1/dossiers"), ("POST", "/v1/dossiers/23059-261122-0001/note"), ("GET", "/health/live"),
        ]
        for (method, path) in routes {
            // `JSONValue?.none`, not `nil`: JSONValue is nil-literal convertible, and a GET with a
            // `null` body is refused by FoundationNetworking itself (NSURLError -1103).
            let body = method == "POST" ? Self.intake : JSONValue?.none
            let none = try await api.call(method, path, body: body, token: .some(nil), key: "k-\(path)")
            #expect(none.status == 401, "\(method) \(path)")
            #expect(none.json?["code"]?.stringValue == "unauthorized")
            let wrong = try await api.call(method, path, body: body, token: "x" + api.token.dropFirst(), key: "k2")
            #expect(wrong.status == 401, "\(method) \(path)")
        }
        #expect(try api.eventCount == 0)
    }

    @Test func aForeignOriginIsRefusedAndAnAllowedOneGetsCORS() async throws {
        let api = try API()
        defer { api.stop() }
        let foreign = try await api.call("GET", "/v1/dossiers", origin: "http://evil.example")
        #expect(foreign.status == 403)
        #expect(foreign.json?["code"]?.stringValue == "forbidden-origin")
        let write = try await api.call("POST", "/v1/dossiers", body: Self.intake, origin: "http://evil.example", key: "from-evil")
        #expect(write.status == 403)
        #expect(try api.eventCount == 0)

        let allowed = try await api.call("GET", "/v1/dossiers", origin: "http://motcua.local")
        #expect(allowed.status == 200)
        #expect(allowed.header("Access-Control-Allow-Origin") == "http://motcua.local")
        let preflight = try await api.call("OPTIONS", "/v1/dossiers", token: .some(nil), origin: "http://motcua.local")
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Idempotency-Key") == true)
    }

    @Test func theSameIdempotencyKeyTwiceMakesOneDossierAndTheSameAnswer() async throws {
        let api = try API()
        defer { api.stop() }
        let missing = try await api.call("POST", "/v1/dossiers", body: Self.intake)
        #expect(missing.status == 400)
        #expect(missing.json?["message"]?.stringValue?.hasPrefix("Idempotency-Key:") == true)
        #expect(try api.eventCount == 0)

        let first = try await api.call("POST", "/v1/dossiers", body: Self.intake, key: "3f6c1a9e-receive-1")
        #expect(first.status == 201, "\(first.text)")
        let code = try #require(first.json?["dossier"]?["code"]?.stringValue)
        #expect(first.json?["receipt"]?.stringValue?.contains("Mã hồ sơ: \(code)") == true)
        // The front end timed out and retries: the first answer comes back, byte for byte.
        let retry = try await api.call("POST", "/v1/dossiers", body: Self.intake, key: "3f6c1a9e-receive-1")
        #expect(retry.status == 201)
        #expect(retry.body == first.body)
        #expect(retry.header("Idempotent-Replayed") == "true")
        let list = try await api.call("GET", "/v1/dossiers")
        guard case .array(let rows)? = list.json?["dossiers"] else {
            Issue.record("no list: \(list.text)")
            return
        }
        #expect(rows.count == 1)
        #expect(try api.eventCount == 1)

        // The same key with another request is refused, and writes nothing.
        var other = Self.intake.objectValue ?? [:]
        other["applicant"] = "Nguyễn Văn An"
        let reused = try await api.call("POST", "/v1/dossiers", body: .object(other), key: "3f6c1a9e-receive-1")
        #expect(reused.status == 422)
        #expect(reused.json?["code"]?.stringValue == "idempotency-key-reused")
        #expect(try api.eventCount == 1)
    }

    /// The members each write takes (the rest are refused, 400) are the document's, per operation.
    @Test func theMembersEachWriteTakesAreTheDocuments() throws {
        let document = try OpenAPIContract(path: Fixtures.packageRoot.path + "/Docs/openapi-local.json").document
        func members(_ path: String) -> Set<String>? {
            var schema = document["paths"]?[path]?["post"]?["requestBody"]?["content"]?["application/json"]?["schema"]
            if let reference = schema?["$ref"]?.stringValue, let name = reference.split(separator: "/").last {
                schema = document["components"]?["schemas"]?[String(name)]
            }
            guard schema?["additionalProperties"] == .bool(false), case .object(let properties)? = schema?["properties"] else { return nil }
            return Set(properties.keys)
        }
        #expect(members("/v1/dossiers") == LocalAPI.intakeMembers)
        for action in WorkflowAction.all {
            #expect(members("/v1/dossiers/{code}/\(action.name)") == action.members, "\(action.name)")
        }
        // The document's action paths are the catalogue's, no more, no fewer.
        let documented = Set((document["paths"]?.objectValue ?? [:]).keys.filter { $0.hasPrefix("/v1/dossiers/{code}/") && !$0.hasSuffix("/receipt") })
        #expect(documented == Set(WorkflowAction.all.map { "/v1/dossiers/{code}/\($0.name)" }))
    }

    @Test func transitionsShowReceiptAndClearErrorsThatChangeNothing() async throws {
        let api = try API()
        defer { api.stop() }
        let received = try await api.call("POST", "/v1/dossiers", body: Self.intake, key: "r1")
        let code = try #require(received.json?["dossier"]?["code"]?.stringValue)

        // Bad input names the field; nothing is written.
        var noProcedure = Self.intake.objectValue ?? [:]
        noProcedure["procedure"] = nil
        let bad = try await api.call("POST", "/v1/dossiers", body: .object(noProcedure), key: "r2")
        #expect(bad.status == 400)
        #expect(bad.json?["message"]?.stringValue?.hasPrefix("procedure:") == true)
        let unknownProcedure = try await api.call(
            "POST", "/v1/dossiers", body: .object((Self.intake.objectValue ?? [:]).merging(["procedure": "9.999999"]) { $1 }), key: "r3")
        #expect(unknownProcedure.status == 400, "\(unknownProcedure.text)")
        // A member the request does not have (the node sets codes and appointments): refused, named.
        let serverOwned = try await api.call(
            "POST", "/v1/dossiers", body: .object((Self.intake.objectValue ?? [:]).merging(["appointment": 1, "code": "23059-261122-9999"]) { $1 }), key: "r4")
        #expect(serverOwned.status == 400 && serverOwned.json?["message"]?.stringValue?.hasPrefix("appointment: not a member") == true, "\(serverOwned.text)")
        let statusInAction = try await api.call("POST", "/v1/dossiers/\(code)/note", body: ["actor": "cb-tiepnhan-01", "text": "x", "status": "10"], key: "n0")
        #expect(
            statusInAction.status == 400 && statusInAction.json?["message"]?.stringValue?.hasPrefix("status: not a member") == true, "\(statusInAction.text)")
        let anotherActionsMember = try await api.call(
            "POST", "/v1/dossiers/\(code)/note", body: ["actor": "cb-tiepnhan-01", "text": "x", "decision": "approved"], key: "n1")
        #expect(
            anotherActionsMember.status == 400 && anotherActionsMember.json?["message"]?.stringValue?.hasPrefix("decision: not a member") == true,
            "\(anotherActionsMember.text)")
        #expect(try api.eventCount == 1)

        let handed = try await api.call(
            "POST", "/v1/dossiers/\(code)/process", body: ["actor": "cb-tiepnhan-01", "to": "cb-tuphap-01"], key: "p1")
        #expect(handed.status == 200, "\(handed.text)")
        #expect(handed.json?["event"]?["type"]?.stringValue == "dossier.handedOver")
        #expect(handed.json?["dossier"]?["status"]?.stringValue == DossierStatus.processing.rawValue)
        // A step the state forbids: 409, nothing written.
        let forbidden = try await api.call("POST", "/v1/dossiers/\(code)/accept", body: ["actor": "cb-tuphap-01"], key: "a1")
        #expect(forbidden.status == 409, "\(forbidden.text)")
        #expect(forbidden.json?["code"]?.stringValue == "forbidden-transition")
        // Another method on a known path: 405 naming the methods it has (also where the path has a code).
        let getNote = try await api.call("GET", "/v1/dossiers/\(code)/note")
        #expect(getNote.status == 405 && getNote.header("Allow") == "POST", "\(getNote.status) \(getNote.header("Allow") ?? "")")
        let deleted = try await api.call("DELETE", "/v1/dossiers/\(code)")
        #expect(deleted.status == 405 && deleted.header("Allow") == "GET", "\(deleted.status) \(deleted.header("Allow") ?? "")")
        let unknownAction = try await api.call("POST", "/v1/dossiers/\(code)/teleport", body: ["actor": "cb-tuphap-01"], key: "t1")
        #expect(unknownAction.status == 404)
        #expect(try api.eventCount == 2)

        let shown = try await api.call("GET", "/v1/dossiers/\(code)")
        #expect(shown.status == 200)
        #expect(shown.json?["dossier"]?["owner"]?.stringValue == "xa-23059")
        let receipt = try await api.call("GET", "/v1/dossiers/\(code)/receipt")
        #expect(receipt.status == 200)
        #expect(receipt.header("Content-Type")?.hasPrefix("text/plain") == true)
        #expect(receipt.text.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"), "\(receipt.text)")
        #expect(try await api.call("GET", "/v1/dossiers/23059-000101-0001").status == 404)

        // What the API wrote, the CLI reads: the same database, the same events.
        let cli = try api.site.run(["dossier", "show", code, "--data-dir", api.site.dir("xa-23059")]).stdout
        #expect(cli.contains(code))
    }
}
