import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import Testing

/// HTTPS between a node and its hub with real processes and a real certificate chain: a test CA
/// made with openssl and trusted system-wide through `Scripts/install-deps.sh --ca` (what a
/// province does with its CA), removed again at the end. Plain HTTP to another machine is refused.
@Suite(.serialized) struct TLSEndToEndTests {
    typealias Site = SyncEndToEndTests.Site

    /// Runs a shell script and requires exit 0.
    @discardableResult
    static func shell(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-euo", "pipefail", "-c", script]
        process.currentDirectoryURL = Fixtures.packageRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(script)\n\(text)", sourceLocation: sourceLocation)
        return text
    }

    @Test func aNodeSyncsWithAnHTTPSHubWhoseCAItTrustsThroughTheSystemStore() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        let tls = site.root + "/tls"
        let ca = "\(tls)/lienthong-test-ca-\(UUID().uuidString.prefix(8)).pem"
        try Self.shell(
            """
            mkdir -p '\(tls)' && cd '\(tls)'
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out '\(ca)' -days 2 \
              -subj '/CN=LienThong test CA' -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign'
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout hub.key -out hub.csr -subj '/CN=127.0.0.1'
            printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > hub.ext
            openssl x509 -req -in hub.csr -CA '\(ca)' -CAkey ca.key -CAcreateserial -out hub.pem -days 2 -extfile hub.ext
            """)
        let hub = try CLIProcess.Running([
            "hub", "run", "--port", "0", "--tls-cert", tls + "/hub.pem", "--tls-key", tls + "/hub.key", "--data-dir", site.hubDir,
        ])
        defer { hub.terminate() }
        let line = hub.nextLine() ?? ""
        #expect(line.hasPrefix("listening on https://127.0.0.1:"), "\(line) \(hub.stderr)")
        let url = String(line.dropFirst("listening on ".count).prefix { $0 != " " })

        let token = try site.run(["hub", "enroll", "xa-23059", "--data-dir", site.hubDir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Before the CA is trusted, the node refuses the hub's certificate and changes nothing.
        let untrusted = try CLIProcess.run(["node", "enroll", "--hub", url, "--token", token, "--data-dir", site.dir("xa-23059")])
        #expect(untrusted.status == 69, "\(untrusted.stderr)")
        #expect(try site.database("xa-23059").hubLink() == nil)

        try Self.shell("Scripts/install-deps.sh --ca '\(ca)'")
        defer { _ = try? Self.shell("Scripts/install-deps.sh --remove-ca '\(ca)'") }
        try site.run(["node", "enroll", "--hub", url, "--token", token, "--data-dir", site.dir("xa-23059")])
        try site.run(DossierEndToEndTests.receiveArguments(dataDir: site.dir("xa-23059")))
        #expect(try site.run(["node", "sync", "--data-dir", site.dir("xa-23059")]).stdout.contains("in sync with hub-597"))
        let head = try #require(try site.database("xa-23059").head(origin: "xa-23059"))
        #expect(try site.hubDatabase().head(origin: "xa-23059")?.hash == head.hash)

        // The port speaks TLS only: plain HTTP gets no answer.
        let curl = try Self.shell("curl -s -o /dev/null -w '%{http_code}' http\(url.dropFirst("https".count))/health/live || true")
        #expect(curl.hasPrefix("000"), "plain HTTP to the TLS port answered \(curl)")
    }

    @Test func plainHTTPToAnotherMachineIsRefusedWithoutTheFlag() throws {
        let site = try Site()
        defer { site.remove() }
        try site.initHub()
        try site.initNode("xa-23059", agency: "23059", office: "UBND thị trấn Ma Lâm")
        // 192.0.2.10 (TEST-NET-1) is never contacted: the refusal comes first.
        let enroll = try CLIProcess.run(["node", "enroll", "--hub", "http://192.0.2.10:8080", "--token", "t", "--data-dir", site.dir("xa-23059")])
        #expect(enroll.status == 64)
        #expect(enroll.stderr.contains("--insecure-http"), "\(enroll.stderr)")
        #expect(try site.database("xa-23059").hubLink() == nil)
        let recover = try CLIProcess.run(["node", "recover", "--hub", "http://192.0.2.10:8080", "--token", "t", "--data-dir", site.dir("xa-23059")])
        #expect(recover.status == 64)

        let hub = try CLIProcess.run(["hub", "run", "--host", "0.0.0.0", "--port", "0", "--data-dir", site.hubDir])
        #expect(hub.status == 64)
        #expect(hub.stderr.contains("--tls-cert"), "\(hub.stderr)")
        let half = try CLIProcess.run(["hub", "run", "--tls-cert", "x.pem", "--data-dir", site.hubDir])
        #expect(half.status == 64)
        let missing = try CLIProcess.run(["hub", "run", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key", "--data-dir", site.hubDir])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--tls-cert"), "\(missing.stderr)")
    }
}
