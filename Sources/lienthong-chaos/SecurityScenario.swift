import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import LienThongWire

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Scenario 11: the security matrix, against a real `hub run` and real `node run` local APIs.
///
/// - Every authenticated hub endpoint (push, pull, own, return, and enrolment with its token) and
///   every local-API endpoint, with {no credential, garbage, another commune's, revoked}, the other
///   commune named in {the path or query, the body, the cursor}: refused with 401/403/404, no byte
///   of the other commune's data in any answer, and no row changed (every row of the hub's tables
///   but its heartbeat, and of the victim node's tables a client could change, hashed before and
///   after).
/// - Server-owned fields sent by a client are refused; oversize bodies, too many events, deep JSON
///   nesting, huge strings and a gzip bomb get 413/400 and change nothing.
/// - A client trickling its request headers is cut off (both servers).
/// - No credential, token or key appears in any answer or in the processes' logs; key, credential
///   and token files are 0600.
enum Security {
    static let scenario = Scenario(
        number: 11, name: "security",
        summary: "every endpoint × {no credential, garbage, another commune's, revoked} × {path, body, cursor}; limits; slow headers; secrets; file modes",
        control: .servesNamedFeed,
        controlMeaning: "the hub serves a pull the feed of the node it names, whoever's credential came with it",
        controlKind: .breach
    ) { options, random in try run(options, &random) }

    /// Ma Lâm is the victim; Phú Long the other commune; La Dạ's credential is revoked.
    static let victim = HubKill.communes[0], other = HubKill.communes[1], revoked = HubKill.communes[2]

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        let site = try ProcessSite(prefix: "lienthong-chaos-security")
        defer { site.remove() }
        try site.initHub()
        try site.startHub(environment: options.environment)
        var secrets: [String: String] = [:]
        var enrolmentTokens: [String: String] = [:]
        for (node, agency, office) in [victim, other, revoked] {
            try site.initNode(node, agency: agency, office: office)
            let token = try site.run(["hub", "enroll", node, "--data-dir", site.hubDirectory]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try site.run(["node", "enroll", "--hub", site.url, "--token", token, "--data-dir", site.directory(node)])
            enrolmentTokens[node] = token
            secrets["\(node)'s enrolment token"] = token
            secrets["\(node)'s credential"] = try text(site.directory(node) + "/credential")
            secrets["\(node)'s signing key"] = try text(site.directory(node) + "/node.key")
        }
        secrets["the hub's signing key"] = try text(site.hubDirectory + "/hub.key")
        let credential = { (node: String) in secrets["\(node)'s credential"]! }

        // The victim's dossiers, with names that must never leave it except to the hub.
        var a = try site.startNode(victim.0, environment: options.environment)
        let b = try site.startNode(other.0, environment: options.environment)
        defer { for node in [a, b] { node.process.kill9() } }
        let victimCodes = try receive(at: a, applicants: (1...3).map { "Bí Mật Ma Lâm \($0)" })
        let otherCodes = try receive(at: b, applicants: ["Công Khai Phú Long 1"])
        try site.run(["node", "sync", "--data-dir", site.directory(revoked.0)])
        try Invariants.waitForConvergence(site, [victim.0, other.0], timeout: .seconds(60))
        try site.run(["hub", "revoke", revoked.0, "--data-dir", site.hubDirectory])
        // The local API token is rotated (delete the file, restart): the old one is the revoked one.
        let oldToken = a.token
        guard a.process.terminate() == 0 else { throw Violation("node run of \(victim.0) did not stop cleanly: \(a.process.stderr.suffix(300))") }
        try FileManager.default.removeItem(atPath: site.directory(victim.0) + "/api.token")
        a = try site.startNode(victim.0, environment: options.environment)
        guard a.token != oldToken else { throw Violation("the API token did not change when its file was deleted") }
        secrets["\(victim.0)'s API token"] = a.token
        secrets["\(victim.0)'s old API token"] = oldToken
        secrets["\(other.0)'s API token"] = b.token
        // What must never reach anyone but the victim and the hub.
        let victimData = victimCodes + (1...3).map { "Bí Mật Ma Lâm \($0)" }

        var log = Exchanges(secrets: secrets)

        // The local API of Ma Lâm's node.
        let api = a.api.absoluteString
        let receipt = String(decoding: LocalAPIRequests.receipt(api: a.api, token: "", applicant: "Kẻ Lạ").httpBody ?? Data(), as: UTF8.self)
        // What a client of the local API could change (the running daemon writes its sync tables).
        let clientData: Set<String> = ["event", "checkpoint", "dossierView", "dossierCounter", "conflictView", "handoverView", "apiReplay"]
        let localBefore = try digest(site.directory(victim.0) + "/node.sqlite", only: clientData)
        let localCredentials: [(String, String?)] = [
            ("no credential", nil), ("garbage", "garbage-token-0123456789abcdef0123456789"),
            ("another commune's", b.token), ("revoked", oldToken),
        ]
        var refused = log.count
        for (what, token) in localCredentials {
            for (method, path, body) in [
                ("GET", "/v1/dossiers", nil), ("GET", "/v1/dossiers?status=2&limit=500", nil), ("POST", "/v1/dossiers", receipt),
                ("GET", "/v1/dossiers/\(victimCodes[0])", nil), ("GET", "/v1/dossiers/\(victimCodes[0])/receipt", nil),
                ("POST", "/v1/dossiers/\(victimCodes[0])/note", #"{"actor":"cb-tiepnhan-01","text":"x"}"#), ("GET", "/v1/dossiers/\(otherCodes[0])", nil),
            ] as [(String, String, String?)] {
                try log.expect([401, 403], "local API, \(what): \(method) \(path)", method, api + path, bearer: token, body: body, leaking: victimData)
            }
        }
        refused = log.count - refused
        // With the right token: another commune's dossier is not there; server-owned fields are
        // refused; oversize, deep and huge bodies are refused.
        let good = a.token
        try log.expect([404], "local API: another commune's dossier by path", "GET", api + "/v1/dossiers/\(otherCodes[0])", bearer: good, leaking: [])
        try log.expect([404], "local API: another commune's receipt by path", "GET", api + "/v1/dossiers/\(otherCodes[0])/receipt", bearer: good, leaking: [])
        for (field, value) in [
            ("code", "\"23059-261122-9999\""), ("status", "\"10\""), ("appointment", "1"), ("receivedAt", "1"), ("hlc", "\"0\""), ("origin", "\"xa-23062\""),
        ] {
            let body = receipt.replacingOccurrences(of: "{", with: "{\"\(field)\":\(value),", options: .anchored)
            try log.expect([400], "local API: server-owned field \(field) in a receipt", "POST", api + "/v1/dossiers", bearer: good, body: body, leaking: [])
            try log.expect(
                [400], "local API: server-owned field \(field) in an action", "POST", api + "/v1/dossiers/\(victimCodes[0])/note", bearer: good,
                body: #"{"actor":"cb-tiepnhan-01","text":"x",""# + field + "\":" + value + "}", leaking: [])
        }
        try log.expect(
            [413], "local API: a 2 MiB body", "POST", api + "/v1/dossiers", bearer: good, body: String(repeating: " ", count: 2 << 20) + receipt, leaking: [])
        try log.expect(
            [400], "local API: JSON nested 100,000 deep", "POST", api + "/v1/dossiers", bearer: good, body: String(repeating: "[", count: 100_000), leaking: [])
        try log.expect(
            [400, 413, 422], "local API: a 900 KB applicant name", "POST", api + "/v1/dossiers", bearer: good,
            body: receipt.replacingOccurrences(of: "Kẻ Lạ", with: String(repeating: "A", count: 900_000)), leaking: [])
        let localAfter = try digest(site.directory(victim.0) + "/node.sqlite", only: clientData)
        guard localAfter == localBefore else { throw Violation(.breach, "refused local-API requests changed rows in \(victim.0)'s database") }

        let slowLocal = try SlowHeaders.cutOffAfter(port: a.api.port ?? 0)
        let slowHub = try SlowHeaders.cutOffAfter(port: site.port)

        // The hub, with no daemon running (a running one changes contact rows).
        for node in [a, b] { guard node.process.terminate() == 0 else { throw Violation("node run did not stop cleanly: \(node.process.stderr.suffix(300))") } }
        let hubLog = site.hubDirectory + "/hub.sqlite"
        let hubBefore = try digest(hubLog, skipping: ["heartbeat"])
        let hub = site.url
        let pushForVictim = String(decoding: PushRequest(node: victim.0, batches: []).bytes, as: UTF8.self)
        let returnForVictim = #"{"node":"\#(victim.0)","recovery":1,"events":[]}"#
        let hubStart = log.count
        let hubCredentials: [(String, String?, [Int])] = [
            ("no credential", nil, [401]), ("garbage", "garbage-credential-0123456789abcdef", [401]),
            ("another commune's", credential(other.0), [403]), ("revoked", credential(revoked.0), [401]),
        ]
        for (what, token, statuses) in hubCredentials {
            // The victim named in the query (path), in the body, and as the reader of a cursor.
            try log.expect(
                statuses, "hub, \(what): pull of \(victim.0)'s feed (query)", "GET", hub + "/v1/sync/pull?node=\(victim.0)&since=0&limit=500", bearer: token,
                leaking: victimData)
            try log.expect(
                statuses, "hub, \(what): own events of \(victim.0) (query)", "GET", hub + "/v1/sync/own?node=\(victim.0)&fromSeq=1&limit=500", bearer: token,
                leaking: victimData)
            try log.expect(
                statuses, "hub, \(what): push as \(victim.0) (body)", "POST", hub + "/v1/sync/push", bearer: token, body: pushForVictim, leaking: victimData)
            try log.expect(
                statuses + [400], "hub, \(what): return as \(victim.0) (body)", "POST", hub + "/v1/sync/return", bearer: token, body: returnForVictim,
                leaking: victimData)
            if token == nil || what != "another commune's" {
                try log.expect([401], "hub, \(what): pull from cursor 0", "GET", hub + "/v1/sync/pull?since=0&limit=500", bearer: token, leaking: victimData)
                try log.expect([401], "hub, \(what): own from seq 1", "GET", hub + "/v1/sync/own?fromSeq=1&limit=500", bearer: token, leaking: victimData)
            }
        }
        // Enrolment with {no token, garbage, another commune's credential, a used token}.
        for (what, token) in [
            ("no token", ""), ("garbage", "garbage-enrolment-token-0123456789"), ("another commune's credential", credential(other.0)),
            ("a used (revoked) token", enrolmentTokens[victim.0]!),
        ] {
            let body = String(
                decoding: CanonicalJSON.encode(
                    EnrollRequest(node: victim.0, token: token, epoch: "e-security", publicKey: String(repeating: "0", count: 64)).json), as: UTF8.self)
            try log.expect(
                [400, 401, 403, 409], "hub enrolment as \(victim.0), \(what)", "POST", hub + "/v1/enroll", bearer: nil, body: body, leaking: victimData)
        }
        refused += log.count - hubStart
        try log.expect(
            [404], "citizen lookup of \(victim.0)'s dossier with wrong digits", "GET", hub + "/v1/lookup?code=\(victimCodes[0])&id=0000", bearer: nil,
            leaking: victimData)
        // Limits, with a good credential.
        let good0 = credential(other.0)
        try log.expect(
            [413], "hub: a 5 MiB push body", "POST", hub + "/v1/sync/push", bearer: good0, body: String(repeating: " ", count: 5 << 20) + "{}", leaking: [])
        let many =
            "{\"node\":\"\(other.0)\",\"batches\":[{\"events\":[" + Array(repeating: "{}", count: 2_001).joined(separator: ",") + "],\"checkpoint\":{}}]}"
        try log.expect([400, 413], "hub: 2,001 events in one batch", "POST", hub + "/v1/sync/push", bearer: good0, body: many, leaking: [])
        try log.expect(
            [400], "hub: JSON nested 100,000 deep", "POST", hub + "/v1/sync/push", bearer: good0, body: String(repeating: "[", count: 100_000), leaking: [])
        try log.expect(
            [400, 413], "hub: a 3 MiB string", "POST", hub + "/v1/sync/push", bearer: good0,
            body: "{\"node\":\"" + String(repeating: "A", count: 3 << 20) + "\",\"batches\":[]}", leaking: [])
        let bomb = try Gzip.compress([UInt8](repeating: UInt8(ascii: " "), count: 256 << 20))
        try log.expect(
            [413], "hub: a gzip bomb (\(bomb.count / 1024) KiB inflating to 256 MiB)", "POST", hub + "/v1/sync/push", bearer: good0, data: Data(bomb),
            gzip: true, leaking: [])
        let hubAfter = try digest(hubLog, skipping: ["heartbeat"])
        guard hubAfter == hubBefore else { throw Violation(.breach, "refused hub requests changed rows in the hub's database") }

        // The other commune's own feed from cursor 0: served, and none of the victim's data in it.
        try log.expect(
            [200], "hub, \(other.0)'s own credential: its feed from cursor 0", "GET", hub + "/v1/sync/pull?since=0&limit=500", bearer: good0,
            leaking: victimData)
        try log.expect(
            [200], "hub, \(other.0)'s own credential: its own events", "GET", hub + "/v1/sync/own?fromSeq=1&limit=500", bearer: good0, leaking: victimData)

        // Secrets in the logs, and the files' modes.
        for (name, output) in [
            ("hub run", site.hub?.stderr ?? ""), ("node run of \(victim.0)", a.process.stderr), ("node run of \(other.0)", b.process.stderr),
        ] {
            if let (secret, _) = secrets.first(where: { output.contains($0.value) }) { throw Violation(.breach, "\(name)'s log holds \(secret)") }
        }
        var files = [site.hubDirectory + "/hub.key"]
        for node in [victim.0, other.0, revoked.0] { files += ["/credential", "/node.key"].map { site.directory(node) + $0 } }
        files += [site.directory(victim.0) + "/api.token", site.directory(other.0) + "/api.token"]
        for file in files {
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue ?? -1
            guard mode == 0o600 else { throw Violation(.breach, "\(file) has mode \(String(mode, radix: 8)), not 600") }
        }
        return "\(log.count) requests: \(refused) with no, garbage, another commune's or revoked credentials refused (\(log.statusSummary)); "
            + "0 bytes of \(victim.0)'s data or any secret in \(log.bytes) bytes of answers; 0 rows changed; server-owned fields, oversize, deep, huge and gzip-bomb bodies refused; "
            + "slow headers cut off after \(format(slowHub)) s (hub) and \(format(slowLocal)) s (local API); no secret in 3 logs; \(files.count) key, credential and token files 0600"
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Receipts through a node's local API; their dossier codes.
    static func receive(at node: ProcessSite.Node, applicants: [String]) throws -> [String] {
        try applicants.map { applicant in
            let (status, body) = try Exchanges.send(LocalAPIRequests.receipt(api: node.api, token: node.token, applicant: applicant))
            guard status == 201, let code = try? JSONParser.parse(Array(body))["dossier"]?["code"]?.stringValue else {
                throw Violation("a receipt answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
            }
            return code
        }
    }

    /// A digest of every row of the tables of the SQLite file at `path`: `only` those, or all but
    /// `skipping`.
    static func digest(_ path: String, only: Set<String>? = nil, skipping: Set<String> = []) throws -> String {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in
            var text = ""
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            where !skipping.contains(table) && only.map({ $0.contains(table) }) ?? true {
                text += "\(table)\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"") { text += row.description + "\n" }
            }
            return Digest.sha256Hex(Array(text.utf8))
        }
    }
}

/// The matrix's requests and what came back: each answer checked for its status, for another
/// commune's data and for secrets.
struct Exchanges {
    let secrets: [String: String]
    var count = 0
    var bytes = 0
    var statuses: [Int: Int] = [:]

    var statusSummary: String { statuses.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ") }

    mutating func expect(
        _ allowed: [Int], _ what: String, _ method: String, _ url: String, bearer: String?, body: String? = nil, data: Data? = nil, gzip: Bool = false,
        leaking forbidden: [String]
    ) throws {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 60)
        request.httpMethod = method
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        if let payload = data ?? body.map({ Data($0.utf8) }) {
            request.httpBody = payload
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(UUID().uuidString, forHTTPHeaderField: "Idempotency-Key")
        }
        if gzip { request.setValue("gzip", forHTTPHeaderField: "Content-Encoding") }
        let (status, answer) = try Self.send(request)
        count += 1
        bytes += answer.count
        statuses[status, default: 0] += 1
        let text = String(decoding: answer, as: UTF8.self)
        guard allowed.contains(status) else {
            throw Violation(status == 200 || status == 201 ? .breach : .other, "\(what): answered \(status), expected \(allowed): \(text.prefix(300))")
        }
        if let leaked = forbidden.first(where: { text.contains($0) }) { throw Violation(.breach, "\(what): the answer holds \"\(leaked)\"") }
        if let (secret, _) = secrets.first(where: { text.contains($0.value) }) { throw Violation(.breach, "\(what): the answer holds \(secret)") }
    }

    /// One request, waited for: its status and body (an answer decoded from gzip by URLSession).
    static func send(_ request: URLRequest) throws -> (Int, Data) {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, Data)?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let response = response as? HTTPURLResponse { result = (response.statusCode, data ?? Data()) } else { failure = error }
            done.signal()
        }.resume()
        done.wait()
        guard let result else {
            throw Violation("\(request.httpMethod ?? "") \(request.url?.absoluteString ?? ""): no answer: \(failure.map { "\($0)" } ?? "")")
        }
        return result
    }
}

/// A client that sends a request line and then one header line a second, never finishing.
enum SlowHeaders {
    /// Seconds until the server at 127.0.0.1:`port` closed the connection; a violation if it
    /// still listens after 30 s.
    static func cutOffAfter(port: Int) throws -> Double {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Violation("socket: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Violation("connect to port \(port): errno \(errno)") }
        let start = ContinuousClock.now
        func send(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            return Glibc.send(socket, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
        }
        func closedByPeer() -> Bool {
            var byte: UInt8 = 0
            let read = recv(socket, &byte, 1, Int32(MSG_DONTWAIT))
            return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }
        guard send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n") else { throw Violation("the server at \(port) refused the first line") }
        for index in 1...30 {
            Thread.sleep(forTimeInterval: 1)
            if closedByPeer() || !send("X-Slow-\(index): a\r\n") {
                let seconds = (ContinuousClock.now - start).seconds
                // The servers' deadline for a first head is 10 s (RequestHeadDeadline).
                guard seconds <= 15 else {
                    throw Violation(.breach, "the server at port \(port) held a trickling client for \(format(seconds)) s, past its 10 s deadline")
                }
                return seconds
            }
        }
        throw Violation(.breach, "the server at port \(port) still holds a connection that has trickled headers for 30 s")
    }
}
