import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real `lienthong` processes on real SQLite files.
@Suite struct NodeLogEndToEndTests {
    /// A new node in a fresh temporary directory, made by `lienthong node init`.
    struct Node {
        let root: String
        var dataDir: String { root + "/node" }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-e2e-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let result = try CLIProcess.run(
                [
                    "node", "init", "--node-id", "xa-23059", "--agency", "23059", "--office", "UBND thị trấn Ma Lâm",
                    "--staff", Fixtures.staffExampleURL.path, "--data-dir", dataDir,
                ] + Fixtures.configArguments)
            guard result.status == 0 else { throw CLIFailure(result: result) }
        }

        func append(count: Int, perTransaction: Int = 1) -> [String] {
            ["dev", "append", "--count", String(count), "--per-transaction", String(perTransaction), "--actor", "cb-tiepnhan-01", "--data-dir", dataDir]
        }

        func verify() throws -> CLIProcess.Result { try CLIProcess.run(["node", "log", "verify", "--data-dir", dataDir]) }

        /// Every stored (seq → hash) of the node's own chain, read from the file directly.
        func storedHashes(path: String? = nil) throws -> [Int: String] {
            let queue = try DatabaseQueue(path: path ?? dataDir + "/node.sqlite")
            let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT seq, hash FROM event WHERE origin = 'xa-23059'") }
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["seq"] as Int, $0["hash"] as String) })
        }

        /// Edits the node's database file directly, as someone with the file in hand could.
        func tamper(_ edit: (Database) throws -> Void) throws {
            let queue = try DatabaseQueue(path: dataDir + "/node.sqlite")
            try queue.write(edit)
            try queue.close()
        }

        func integrityCheck() throws -> String? {
            try DatabaseQueue(path: dataDir + "/node.sqlite").read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    struct CLIFailure: Error, CustomStringConvertible {
        let result: CLIProcess.Result
        var description: String { "lienthong exited \(result.status): \(result.stdout) \(result.stderr)" }
    }

    /// Parses a `saved <origin> <seq> <hash>` line.
    static func saved(_ line: String) -> (seq: Int, hash: String)? {
        let parts = line.split(separator: " ")
        guard parts.count == 4, parts[0] == "saved", let seq = Int(parts[2]) else { return nil }
        return (seq, String(parts[3]))
    }

    @Test func initMakesAPrivateKeyAndPrintsThePublicKey() throws {
        let node = try Node()
        defer { node.remove() }
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: node.dataDir + "/node.key")[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        let again = try CLIProcess.run(
            [
                "node", "init", "--node-id", "xa-23059", "--agency", "23059", "--office", "UBND", "--staff", Fixtures.staffExampleURL.path,
                "--data-dir", node.dataDir,
            ] + Fixtures.configArguments)
        #expect(again.status != 0)
        #expect(again.stderr.contains("already initialised"))
        let publicKey = try String(contentsOfFile: node.dataDir + "/node.pub", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(publicKey.count == 64)
        let empty = try node.verify()
        #expect(empty.status == 0)
        #expect(empty.stdout.contains("OK: 0 events"))
    }

    @Test(arguments: [
        (["--node-id", "XA 1"], "--node-id"),
        (["--node-id", "hub-597"], "--node-id"),
        (["--agency", "23 059"], "--agency"),
        (["--office", " "], "--office"),
        (["--staff", "/nonexistent/staff.json"], "--staff"),
        (["--calendar", "/nonexistent/calendar.json"], "--calendar"),
        (["--procedures", Fixtures.staffExampleURL.path], "--procedures"),
    ])
    func initRefusesBadInputNamingTheOptionAndChangesNothing(override: [String], option: String) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = [
            "--node-id": "xa-23059", "--agency": "23059", "--office": "UBND thị trấn Ma Lâm", "--staff": Fixtures.staffExampleURL.path,
            "--calendar": Fixtures.calendarURL.path, "--procedures": Fixtures.proceduresURL.path, "--topology": Fixtures.topologyURL.path,
        ]
        options[override[0]] = override[1]
        let arguments = ["node", "init", "--data-dir", root + "/node"] + options.flatMap { [$0.key, $0.value] }
        let result = try CLIProcess.run(arguments)
        #expect(result.status == 64)  // EX_USAGE
        #expect(result.stderr.contains(option))
        #expect(!FileManager.default.fileExists(atPath: root + "/node"))
    }

    /// `node init --config` reads the example configuration, whose paths are relative to the file
    /// and so work from any working directory; an option given with it wins over the file.
    @Test func initReadsTheConfigurationFileAndOptionsWinOverIt() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let example = Fixtures.packageRoot.appendingPathComponent("Config/node.example.json").path
        let result = try CLIProcess.run([
            "node", "init", "--config", example, "--office", "UBND thị trấn Ma Lâm (máy dự phòng)", "--data-dir", root + "/node",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let directory = NodeDirectory(path: root + "/node")
        let identity = try #require(try directory.openDatabase().identity())
        #expect(identity.origin == "xa-23059")
        #expect(identity.agencyCode == "23059")
        #expect(identity.officeName == "UBND thị trấn Ma Lâm (máy dự phòng)")
        let staff = try directory.loadStaff()
        #expect(staff.map(\.id) == ["cb-tiepnhan-01", "cb-tiepnhan-02", "cb-tuphap-01", "ct-ubnd"])
        let copied = try Data(contentsOf: URL(fileURLWithPath: directory.topologyPath))
        #expect(copied == (try Data(contentsOf: Fixtures.topologyURL)))
    }

    @Test func initRefusesAConfigurationFileWithAnUnknownKeyOrAMissingSetting() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let misspelt = root + "/misspelt.json"
        try Data(#"{"nodeId": "xa-23059", "agency": "23059", "ofice": "UBND"}"#.utf8).write(to: URL(fileURLWithPath: misspelt))
        let unknown = try CLIProcess.run(["node", "init", "--config", misspelt, "--data-dir", root + "/node"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("--config"))
        #expect(unknown.stderr.contains("ofice"))
        let partial = root + "/partial.json"
        try Data(#"{"nodeId": "xa-23059", "agency": "23059"}"#.utf8).write(to: URL(fileURLWithPath: partial))
        let missing = try CLIProcess.run(["node", "init", "--config", partial, "--data-dir", root + "/node"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--office: missing"))
        #expect(!FileManager.default.fileExists(atPath: root + "/node"))
    }

    @Test func showPrintsRecentEventsReadableAndAsJSON() throws {
        let node = try Node()
        defer { node.remove() }
        #expect(try CLIProcess.run(node.append(count: 5)).status == 0)
        let table = try CLIProcess.run(["node", "log", "show", "--limit", "2", "--data-dir", node.dataDir])
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("ORIGIN"))
        #expect(lines[1].contains("xa-23059  4 ") && lines[2].contains("xa-23059  5 "))
        let json = try CLIProcess.run(["node", "log", "show", "--limit", "3", "--json", "--data-dir", node.dataDir])
        guard case .array(let items) = try JSONParser.parse(json.stdout) else {
            Issue.record("--json did not print an array")
            return
        }
        let events = try items.map { try Event(json: $0) }
        #expect(events.map(\.seq) == [3, 4, 5])
        #expect(events.allSatisfy { $0.hashIsValid })
        // The table shows the HLC's wall time in Asia/Ho_Chi_Minh, UTC+07:00, whatever the machine's zone.
        let newest = try #require(events.last)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(secondsFromGMT: 7 * 3600))
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(newest.hlc.physical) / 1000))
        let shown = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
            parts.minute ?? 0, parts.second ?? 0)
        #expect(lines[2].contains(shown))
        let bad = try CLIProcess.run(["node", "log", "show", "--limit", "0", "--data-dir", node.dataDir])
        #expect(bad.status == 64 && bad.stderr.contains("--limit"))
    }

    @Test func verifyNamesTheSeqOfAFlippedByte() throws {
        let node = try Node()
        defer { node.remove() }
        #expect(try CLIProcess.run(node.append(count: 30, perTransaction: 7)).status == 0)
        #expect(try node.verify().status == 0)
        try node.tamper { db in try Tamper.flipByte(ofEvent: 23, at: "số 23 ", offset: 4, in: db) }  // "23" → "22"
        let result = try node.verify()
        #expect(result.status == 1)
        #expect(result.stdout.contains("first broken event: xa-23059 seq 23:"))
    }

    @Test func verifyFindsACorruptedCheckpointSignature() throws {
        let node = try Node()
        defer { node.remove() }
        #expect(try CLIProcess.run(node.append(count: 10, perTransaction: 5)).status == 0)
        try node.tamper { db in try Tamper.corruptCheckpointSignature(seq: 5, in: db) }
        let result = try node.verify()
        #expect(result.status == 1)
        #expect(result.stdout.contains("first broken event: xa-23059 seq 5: checkpoint signature is not valid"))
    }

    /// Two processes append 500 events each to one database at the same time: 1,000 events with
    /// contiguous seqs, a chain that verifies, and no error.
    @Test func twoConcurrentWritersGiveOneContiguousChain() throws {
        let node = try Node()
        defer { node.remove() }
        // Both processes open the database, say "ready", and start appending when the barrier file
        // appears, so their transactions contend for the write lock from the first event on.
        let barrier = node.root + "/go"
        let first = try CLIProcess.Running(node.append(count: 500) + ["--start-when", barrier])
        let second = try CLIProcess.Running(node.append(count: 500) + ["--start-when", barrier])
        #expect(first.nextLine() == "ready" && second.nextLine() == "ready")
        #expect(FileManager.default.createFile(atPath: barrier, contents: nil))
        let firstLines = first.remainingLines()
        let secondLines = second.remainingLines()
        #expect(first.wait() == 0, "\(first.stderr)")
        #expect(second.wait() == 0, "\(second.stderr)")
        #expect(firstLines.count == 500 && secondLines.count == 500)
        let reported = (firstLines + secondLines).compactMap(Self.saved)
        #expect(reported.count == 1000)
        #expect(Set(reported.map(\.seq)) == Set(1...1000))
        let stored = try node.storedHashes()
        #expect(stored.count == 1000)
        for (seq, hash) in reported { #expect(stored[seq] == hash) }
        let verify = try node.verify()
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("OK: 1000 events"))
    }

    /// An event reported saved survives SIGKILL of its writer at a random moment: 20 runs on one
    /// database, each killed after a random number of reported events plus a random few milliseconds.
    @Test func savedEventsSurviveSIGKILL() throws {
        let node = try Node()
        defer { node.remove() }
        var random = SeededGenerator(seed: UInt64(ProcessInfo.processInfo.environment["LIENTHONG_SEED"].flatMap(UInt64.init) ?? 20_261_122))
        var reported: [Int: String] = [:]
        for run in 0..<20 {
            let writer = try CLIProcess.Running(node.append(count: 1_000_000, perTransaction: Int.random(in: 1...4, using: &random)))
            let target = Int.random(in: 1...60, using: &random)
            var seen = 0
            while seen < target, let line = writer.nextLine() {
                if let (seq, hash) = Self.saved(line) { reported[seq] = hash }
                seen += 1
            }
            #expect(seen == target, "run \(run): the writer stopped early: \(writer.stderr)")
            usleep(UInt32.random(in: 0...3000, using: &random))  // land the kill mid-transaction
            writer.kill9()
            // Lines already in the pipe were printed after their commit: they count as reported too.
            for line in writer.remainingLines() {
                if let (seq, hash) = Self.saved(line) { reported[seq] = hash }
            }
            let stored = try node.storedHashes()
            for (seq, hash) in reported {
                #expect(stored[seq] == hash, "run \(run): saved seq \(seq) is lost or changed")
            }
            #expect(stored.count >= reported.count)
            #expect(try node.integrityCheck() == "ok")
            let verify = try node.verify()
            #expect(verify.status == 0, "run \(run): \(verify.stdout)")
        }
        #expect(reported.count >= 20)
    }

    /// A backup taken by another process while a writer appends opens, verifies, and holds a prefix
    /// of the log.
    @Test func backupWhileAppendingIsAVerifiablePrefix() throws {
        let node = try Node()
        defer { node.remove() }
        let writer = try CLIProcess.Running(node.append(count: 1_000_000))
        var lines = 0
        while lines < 200, writer.nextLine() != nil { lines += 1 }
        let backupPath = node.root + "/backup.sqlite"
        let backup = try CLIProcess.run(["node", "backup", backupPath, "--data-dir", node.dataDir])
        // Keep appending after the backup, then stop the writer.
        let more = lines + 100
        while lines < more, writer.nextLine() != nil { lines += 1 }
        writer.kill9()
        _ = writer.remainingLines()
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("Backed up"))

        // Restore as the README says: the backup becomes node.sqlite of a node directory.
        let restored = node.root + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backupPath, toPath: restored + "/node.sqlite")
        let verify = try CLIProcess.run(["node", "log", "verify", "--data-dir", restored])
        #expect(verify.status == 0, "\(verify.stdout)")

        let copy = try node.storedHashes(path: backupPath)
        let live = try node.storedHashes()
        #expect(copy.count >= 200 && copy.count < live.count)
        #expect(Set(copy.keys) == Set(1...copy.count))
        for (seq, hash) in copy { #expect(live[seq] == hash) }
        let again = try CLIProcess.run(["node", "backup", backupPath, "--data-dir", node.dataDir])
        #expect(again.status != 0 && again.stderr.contains("exists already"))
    }
}
