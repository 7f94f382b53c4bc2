import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting
import Testing

@Suite struct FileDatabaseTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func fileDatabaseIsWALWithFullSync() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try NodeDatabase(path: directory + "/node.sqlite")
        let (mode, synchronous) = try database.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(synchronous == 2)  // FULL
        let writerSynchronous = try database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writerSynchronous == 2)
    }

    /// The clock never goes backwards across restarts, also when the PC's clock is set back by up to
    /// a day between runs (seeded random sequences of restarts and wall-clock jumps).
    @Test(arguments: 0..<10)
    func clockNeverGoesBackAcrossRestarts(seed: UInt64) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var random = SeededGenerator(seed: seed)
        let path = directory + "/node.sqlite"
        try NodeDatabase(path: path).initialize(identity: EventLogTests.identity, publicKey: Fixtures.testKey().publicKey)
        let clock = TestClock()
        var last = HLC.zero
        for restart in 0..<8 {
            let database = try NodeDatabase(path: path)  // a new process: nothing cached
            #expect(try database.lastHLC() == last)
            clock.advance(by: Int64.random(in: -86_400_000...60_000, using: &random))
            let (events, _) = try database.append(
                (0..<Int.random(in: 1...5, using: &random)).map { Fixtures.note("lần \(restart) \($0)") }, key: Fixtures.testKey(),
                wallMilliseconds: clock.now)
            for event in events {
                #expect(event.hlc > last, "seed \(seed): hlc went from \(last) to \(event.hlc)")
                last = event.hlc
            }
        }
        #expect(try NodeDatabase(path: path).verify().isIntact)
    }

    @Test func backupIsAVerifiableSelfContainedCopy() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try NodeDatabase(path: directory + "/node.sqlite")
        try database.initialize(identity: EventLogTests.identity, publicKey: Fixtures.testKey().publicKey)
        try EventLogTests.appendNotes(database, count: 25, perTransaction: 5)
        let summary = try database.backup(to: directory + "/backup.sqlite")
        #expect(summary.eventCount == 25)
        #expect(!FileManager.default.fileExists(atPath: directory + "/backup.sqlite.partial"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/backup.sqlite-wal"))
        let copy = try NodeDatabase(path: directory + "/backup.sqlite")
        #expect(try copy.verify().isIntact)
        #expect(try copy.recentEvents(limit: 100) == database.recentEvents(limit: 100))
        #expect(try copy.identity() == EventLogTests.identity)
        // A second backup to the same name is refused and leaves the first alone.
        #expect {
            try database.backup(to: directory + "/backup.sqlite")
        } throws: { error in
            if case .backupTargetExists = error as? StoreError { return true }
            return false
        }
        #expect(try copy.eventCount() == 25)
    }

    @Test func nodeDirectoryKeepsThePrivateKeyPrivate() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = NodeDirectory(path: directory + "/node")
        let profile = NodeProfile(
            nodeId: "xa-23059", agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm",
            staff: [StaffMember(id: "cb-01", name: "Nguyễn Thị Lan", role: "clerk")])
        let (database, identity) = try node.create(profile: profile)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: node.privateKeyPath)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        let key = try node.loadSigningKey()
        #expect(try String(contentsOfFile: node.publicKeyPath, encoding: .utf8).trimmingCharacters(in: .newlines) == key.publicKey.hex)
        #expect(try node.loadStaff() == profile.staff)
        #expect(try database.identity() == identity)
        #expect(try database.append([Fixtures.note("x", actor: "cb-01")], key: key, wallMilliseconds: TestClock().now).events.count == 1)
        #expect(throws: StoreError.self) { try node.create(profile: profile) }
        chmod(node.privateKeyPath, 0o644)
        #expect(throws: StoreError.self) { try node.loadSigningKey() }
    }
}
