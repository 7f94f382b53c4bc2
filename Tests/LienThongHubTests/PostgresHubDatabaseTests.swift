import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting
import LienThongWire
import NIOPosix
import PostgresNIO
import Synchronization
import Testing

@testable import LienThongHub

/// The hub's PostgreSQL database (issue 26) on a real server: the throwaway cluster
/// `Scripts/test.sh` starts (`Scripts/postgres.sh`), named by `LIENTHONG_TEST_POSTGRES_URL`. Each
/// test makes a database of its own and drops it after.
///
/// Serialized: each test blocks its thread on the server (the store is synchronous), and the
/// cooperative threads are few; one at a time leaves the others to the in-process hubs of the
/// tests running beside these.
@Suite(.serialized, .enabled(if: PostgresScratch.serverURL != nil, "needs LIENTHONG_TEST_POSTGRES_URL (Scripts/test.sh starts a throwaway server)"))
struct PostgresHubDatabaseTests {
    @Test func theSchemaIsAppliedOnceWhenTwoProcessesStartAtOnce() throws {
        let scratch = try PostgresScratch()
        defer { scratch.drop() }
        // Two hubs opening the same fresh database at the same moment: each step applies once.
        let outcomes = Mutex<[Result<Void, StoreError>]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                let outcome = Result<Void, StoreError> { () throws(StoreError) in
                    let database = try PostgresHubDatabase(location: scratch.location, maximumConnections: 1)
                    database.close()
                }
                outcomes.withLock { $0.append(outcome) }
            }
        }
        group.wait()
        for outcome in outcomes.withLock({ $0 }) { try outcome.get() }
        let database = try PostgresHubDatabase(location: scratch.location)
        defer { database.close() }
        #expect(try database.appliedSteps() == PostgresHubSchema.steps.map(\.id))
    }

    @Test func aDatabaseMadeByANewerBuildIsRefusedAndLeftAsItIs() throws {
        let scratch = try PostgresScratch()
        defer { scratch.drop() }
        let database = try PostgresHubDatabase(location: scratch.location)
        try database.withConnection("plant a future step") { session in
            try session.execute("INSERT INTO schemaMigration (id) VALUES ('hub.v99.future')")
        }
        database.close()
        let refused = #expect(throws: StoreError.self) { try PostgresHubDatabase(location: scratch.location) }
        #expect(refused?.description.contains("hub.v99.future") == true, "\(String(describing: refused))")
        #expect(refused?.description.contains("newer lienthong") == true)
    }

    @Test func theLogsTablesRefuseUpdateDeleteAndTruncate() throws {
        let scratch = try PostgresScratch()
        defer { scratch.drop() }
        let database = try PostgresHubDatabase(location: scratch.location)
        defer { database.close() }
        try database.transaction("store an event") { session in
            try session.execute(
                """
                INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical)
                VALUES ('xa-23059', 1, 'e1', '0000000000000000', NULL, 'note', 'h1', '\\x00'::bytea)
                """)
            try session.execute("INSERT INTO checkpoint (origin, seq, epoch, hash, signature) VALUES ('xa-23059', 1, 'e1', 'h1', 's')")
        }
        for statement: PostgresQuery in [
            "UPDATE event SET hash = 'forged'", "DELETE FROM event", "TRUNCATE event", "UPDATE checkpoint SET signature = 'x'",
            "DELETE FROM checkpoint",
        ] {
            let refused = #expect(throws: StoreError.self) { try database.transaction("change the log") { session in try session.execute(statement) } }
            #expect(refused?.description.contains("append-only") == true, "\(statement.sql): \(String(describing: refused))")
        }
        let held = try database.withConnection("read") { session in
            try session.query("SELECT hash FROM event UNION ALL SELECT signature FROM checkpoint").map { try $0.decode(String.self) }
        }
        #expect(held == ["h1", "s"])
    }

    /// The sequence-versus-commit-order trap (issue 26): a transaction that appends to a feed holds
    /// its position until it commits; a second one appending to the same feed meanwhile must not
    /// commit a later position first, or a pull between the two commits would return position 2
    /// and never come back for 1. The control shows the trap with positions from a plain sequence.
    @Test func aPullNeverReturnsALaterFeedPositionWithoutTheEarlierOne() throws {
        let scratch = try PostgresScratch()
        defer { scratch.drop() }
        let database = try PostgresHubDatabase(location: scratch.location, maximumConnections: 4)
        defer { database.close() }
        let firstHolds = DispatchSemaphore(value: 0)
        let firstMayCommit = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            try? database.transaction("the first append") { session in
                try PostgresHubDatabase.appendToFeed(node: "xa-23059", eventPositions: [101], now: 1, session)
                firstHolds.signal()
                firstMayCommit.wait()
            }
        }
        firstHolds.wait()
        DispatchQueue.global().async(group: done) {
            try? database.transaction("the second append") { session in
                try PostgresHubDatabase.appendToFeed(node: "xa-23059", eventPositions: [102], now: 2, session)
            }
        }
        // The second append waits on the feed's lock (not on a sleep of this test's).
        try waitUntil("the second append to wait for the feed's lock") {
            try database.withConnection("look at the locks") { session in
                try session.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                ).first?.decode(Int.self) == 1
            }
        }
        func pull() throws -> [Int] {
            try database.withConnection("pull") { session in
                try PostgresHubDatabase.feedEntries(node: "xa-23059", since: 0, limit: 10, session).map(\.eventPosition)
            }
        }
        #expect(try pull() == [])
        firstMayCommit.signal()
        done.wait()
        let entries = try database.withConnection("pull") { session in
            try PostgresHubDatabase.feedEntries(node: "xa-23059", since: 0, limit: 10, session)
        }
        #expect(entries.map(\.position) == [1, 2] && entries.map(\.eventPosition) == [101, 102])

        // Control: positions from a sequence, handed out at insert, commit out of order.
        try database.withConnection("make the naive feed") { session in
            try session.execute("CREATE TABLE naiveFeed (position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, eventPosition BIGINT NOT NULL)")
        }
        let naiveHolds = DispatchSemaphore(value: 0)
        let naiveMayCommit = DispatchSemaphore(value: 0)
        DispatchQueue.global().async(group: done) {
            try? database.transaction("the first naive append") { session in
                try session.execute("INSERT INTO naiveFeed (eventPosition) VALUES (101)")
                naiveHolds.signal()
                naiveMayCommit.wait()
            }
        }
        naiveHolds.wait()
        try database.transaction("the second naive append") { session in try session.execute("INSERT INTO naiveFeed (eventPosition) VALUES (102)") }
        let naive = try database.withConnection("pull the naive feed") { session in
            try session.query("SELECT position FROM naiveFeed WHERE position > 0 ORDER BY position").map { try $0.decode(Int.self) }
        }
        #expect(naive == [2], "a pull now takes position 2 and, resuming after it, never sees 1")
        naiveMayCommit.signal()
        done.wait()
    }

    /// The hub service on PostgreSQL with two hub "processes": two services, each with its own store
    /// and connections, on one database (issue 26).
    @Suite struct Service {
        /// A retry after a lost answer reaching the other process: one origin's batch sent to both at
        /// once, 200 times. Each is stored exactly once, in chain order; the other answer says
        /// duplicate. Without the origin's lock both would read the same head and one would fail on
        /// the (origin, seq) key, or a later seq could be stored before an earlier one.
        @Test func oneOriginsBatchSentToTwoProcessesAtOnceIsStoredExactlyOnce() throws {
            let scratch = try PostgresScratch()
            defer { scratch.drop() }
            let hubKey = SigningKey()
            let hubIdentity = LocalIdentity(
                origin: "hub-597", epoch: LocalIdentity.newEpoch(), agencyCode: "597", officeName: "UBND huyện Hàm Thuận Bắc", createdAt: 0)
            let first = try PostgresHubDatabase(location: scratch.location)
            let second = try PostgresHubDatabase(location: scratch.location)
            defer {
                first.close()
                second.close()
            }
            try first.initialize(identity: hubIdentity, publicKey: hubKey.publicKey)
            let topology = try Topology.load(try Data(contentsOf: Fixtures.topologyURL), file: "topology")
            let workflow = try Fixtures.workflow()
            let processes = try [first, second].map { database in
                HubService(store: PostgresHubStore(database), identity: hubIdentity, key: hubKey, topology: topology, workflow: workflow)
            }
            let now: Int64 = 1_795_000_000_000
            let node = try NodeDatabase.inMemory()
            let nodeKey = SigningKey()
            let epoch = LocalIdentity.newEpoch()
            try node.initialize(
                identity: LocalIdentity(origin: "xa-23059", epoch: epoch, agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0),
                publicKey: nodeKey.publicKey)
            let token = try processes[0].issueEnrolmentToken(node: "xa-23059", now: now)
            _ = try processes[1].enroll(EnrollRequest(node: "xa-23059", token: token, epoch: epoch, publicKey: nodeKey.publicKey.hex), now: now)

            var clock = UInt64(now)
            for round in 1...200 {
                try node.append([Fixtures.note("ghi chú \(round)")], key: nodeKey) {
                    clock += 1
                    return clock
                }
                let (events, checkpoint) = try #require(try node.pendingBatch(afterSeq: round - 1, limit: 100, key: nodeKey))
                let request = try PushRequest(bytes: PushRequest(node: "xa-23059", batches: [PushBatch(events: events, checkpoint: checkpoint)]).bytes)
                let answers = Mutex<[Result<PushOutcome, HubError>]>([])
                DispatchQueue.concurrentPerform(iterations: 2) { index in
                    let answer = Result<PushOutcome, HubError> { () throws(HubError) in
                        try processes[index].push(request, node: "xa-23059", now: now).results[0].outcome
                    }
                    answers.withLock { $0.append(answer) }
                }
                let outcomes = try answers.withLock { $0 }.map { try $0.get() }.sorted { $0.rawValue < $1.rawValue }
                #expect(outcomes == [.duplicate, .stored], "round \(round)")
            }
            let stored = try first.withConnection("read the chain") { session in
                try session.query("SELECT seq FROM event WHERE origin = 'xa-23059' ORDER BY position").map { try $0.decode(Int.self) }
            }
            #expect(stored == Array(1...200), "every seq once, in chain order")
        }
    }

    func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw StoreError.refused("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

/// A database of its own on the test server, dropped after.
struct PostgresScratch {
    static var serverURL: String? { ProcessInfo.processInfo.environment["LIENTHONG_TEST_POSTGRES_URL"] }

    let location: PostgresLocation
    let server: PostgresLocation

    init() throws {
        guard let url = Self.serverURL else { throw StoreError.refused("LIENTHONG_TEST_POSTGRES_URL is not set") }
        server = try PostgresLocation(url: url)
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        location = try PostgresLocation(url: "postgresql://\(server.username)@\(server.host):\(server.port)/\(name)")
        try Self.admin(server) { session in try session.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
    }

    func drop() {
        try? Self.admin(server) { session in try session.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(location.database) WITH (FORCE)")) }
    }

    /// Runs `work` on the server's own database, outside a transaction.
    static func admin(_ server: PostgresLocation, _ work: (PostgresSession) throws -> Void) throws {
        let connection = try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: server.configuration, id: 0, logger: .init(label: "lienthong.test")
        ).wait()
        defer { try? connection.close().wait() }
        try work(PostgresSession(connection: connection, logger: .init(label: "lienthong.test")))
    }
}
