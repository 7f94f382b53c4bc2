import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import LienThongWire
import Testing

/// The contract every ``HubStore`` keeps (DESIGN §6, §10), checked through the protocol only: the
/// same tests run against each store in ``StoreUnderTest/all``. A new store (PostgreSQL) joins by
/// adding itself there; nothing here may reach past `any HubStore` and `any HubTransaction`.
@Suite struct HubStoreContractTests {
    /// A store to run the contract against, made fresh for each test with the hub's identity.
    struct StoreUnderTest: CustomTestStringConvertible, Sendable {
        let name: String
        let make: @Sendable (LocalIdentity, VerifyingKey) throws -> (store: any HubStore, cleanup: @Sendable () -> Void)
        var testDescription: String { name }

        static let all: [StoreUnderTest] =
            [
                StoreUnderTest(name: "SQLite in memory") { identity, key in
                    let database = try HubDatabase.inMemory()
                    try database.initialize(identity: identity, publicKey: key)
                    return (SQLiteHubStore(database), {})
                },
                StoreUnderTest(name: "SQLite file") { identity, key in
                    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-contract-\(UUID().uuidString)")
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    let store = try SQLiteHubStore(path: directory.appendingPathComponent("hub.sqlite").path)
                    try store.database.initialize(identity: identity, publicKey: key)
                    return (store, { try? FileManager.default.removeItem(at: directory) })
                },
            ] + (PostgresScratch.serverURL == nil ? [] : [postgres])

        /// A database of its own on the test server (`LIENTHONG_TEST_POSTGRES_URL`, which
        /// `Scripts/test.sh` sets), dropped after.
        static let postgres = StoreUnderTest(name: "PostgreSQL") { identity, key in
            let scratch = try PostgresScratch()
            let database = try PostgresHubDatabase(location: scratch.location)
            try database.initialize(identity: identity, publicKey: key)
            return (
                PostgresHubStore(database),
                {
                    database.close()
                    scratch.drop()
                }
            )
        }
    }

    /// A hub store with its identity and key, and a commune whose real node database signs the
    /// events the tests store.
    struct Fixture {
        let store: any HubStore
        let cleanup: @Sendable () -> Void
        let hubKey = SigningKey()
        let hub = LocalIdentity(origin: "hub-597", epoch: LocalIdentity.newEpoch(), agencyCode: "597", officeName: "UBND huyện Hàm Thuận Bắc", createdAt: 0)
        let commune: NodeDatabase
        let communeKey = SigningKey()
        let communeIdentity = LocalIdentity(
            origin: "xa-23059", epoch: LocalIdentity.newEpoch(), agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0)
        let now: Int64 = 1_795_000_000_000
        var clock: UInt64 = 1_795_000_000_000

        init(_ subject: StoreUnderTest) throws {
            let made = try subject.make(hub, hubKey.publicKey)
            store = made.store
            cleanup = made.cleanup
            commune = try NodeDatabase.inMemory()
            try commune.initialize(identity: communeIdentity, publicKey: communeKey.publicKey)
        }

        /// Receives `count` dossiers at the commune; returns their codes.
        mutating func receive(_ count: Int) throws -> [String] {
            let workflow = try Fixtures.workflow()
            var codes: [String] = []
            for _ in 0..<count {
                clock += 1_000
                let now = clock
                let write = try commune.receive(Fixtures.intake(), actor: "cb-tiepnhan-01", workflow: workflow, key: communeKey) { now }
                codes.append(try #require(write.events.first?.dossier))
            }
            return codes
        }

        /// The commune's events after `seq`, with the checkpoint that signs the last of them.
        func batch(after seq: Int = 0) throws -> (events: [Event], checkpoint: Checkpoint) {
            try #require(try commune.pendingBatch(afterSeq: seq, limit: 1_000, key: communeKey))
        }

        /// Stores the commune's events after `seq` in one transaction; returns their positions.
        @discardableResult
        func storeBatch(after seq: Int = 0) throws -> [Int] {
            let (events, checkpoint) = try batch(after: seq)
            return try store.transaction("store a batch") { transaction in try transaction.store(events, checkpoint: checkpoint) }
        }

        /// Makes `node` known and enrolled with credential hash `credential`.
        func enrol(_ node: String = "xa-23059", credential: String = "credential-hash") throws {
            #expect(try store.addEnrolmentToken(node: node, tokenHash: "token-\(node)", now: now, expiresAt: now + 1_000, replace: false))
            let redeemed = try store.redeemEnrolment(
                node: node, tokenHash: "token-\(node)", epoch: node == communeIdentity.origin ? communeIdentity.epoch : "epoch-\(node)",
                publicKey: node == communeIdentity.origin ? communeKey.publicKey.hex : SigningKey().publicKey.hex, credentialHash: credential, now: now)
            #expect(redeemed.succeeded)
        }
    }

    struct Abort: Error {}

    @Test(arguments: StoreUnderTest.all) func anEnrolmentTokenWorksOnceForItsNodeAndReplacingRevokes(_ subject: StoreUnderTest) throws {
        let fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        let now = fixture.now
        let key = fixture.communeKey.publicKey.hex
        let epoch = fixture.communeIdentity.epoch
        #expect(try store.addEnrolmentToken(node: "xa-23059", tokenHash: "t1", now: now, expiresAt: now + 1_000, replace: false))
        func redeem(_ token: String, node: String = "xa-23059", key: String = key, at time: Int64 = now) throws -> Result<Void, EnrolmentRefusal> {
            try store.redeemEnrolment(node: node, tokenHash: token, epoch: epoch, publicKey: key, credentialHash: "c-\(token)", now: time)
        }
        #expect(try redeem("t0").refusal == .unknownToken)
        #expect(try redeem("t1", node: "xa-23062").refusal == .otherNode("xa-23059"))
        #expect(try redeem("t1", at: now + 1_001).refusal == .tokenExpired)
        #expect(try redeem("t1").succeeded)
        #expect(try store.node(credentialHash: "c-t1")?.node == "xa-23059")
        #expect(try store.node(credentialHash: "c-t1")?.revokedAt == nil)
        #expect(try redeem("t1").refusal == .tokenUsed)
        #expect(try store.originKeys(origin: "xa-23059") == [epoch: key])
        try store.transaction("read the pinned key") { transaction throws in
            #expect(try transaction.enrolledKey(origin: "xa-23059") == key)
            #expect(try transaction.enrolledKey(origin: "xa-23062") == nil)
        }

        // An enrolled node gets another token only with `replace`, which revokes the machine.
        #expect(try !store.addEnrolmentToken(node: "xa-23059", tokenHash: "t2", now: now, expiresAt: now + 1_000, replace: false))
        #expect(try redeem("t2").refusal == .unknownToken)
        #expect(try store.addEnrolmentToken(node: "xa-23059", tokenHash: "t3", now: now + 5, expiresAt: now + 1_000, replace: true))
        #expect(try store.node(credentialHash: "c-t1")?.revokedAt == now + 5)
        // The epoch's key is pinned: a new machine claiming it with another key is refused.
        #expect(try redeem("t3", key: SigningKey().publicKey.hex).refusal == .keyConflict)
        #expect(try redeem("t3").succeeded)
        #expect(try store.revokeNode("xa-23059", now: now + 9))
        #expect(try !store.revokeNode("xa-23059", now: now + 10))
        #expect(try store.node(credentialHash: "c-t3")?.revokedAt == now + 9)
    }

    @Test(arguments: StoreUnderTest.all) func aTransactionStoresAChainWholeOrNothingOfIt(_ subject: StoreUnderTest) throws {
        var fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        _ = try fixture.receive(3)
        let (events, checkpoint) = try fixture.batch()
        // An error thrown inside rolls everything back, and reaches the caller as the store's.
        #expect {
            try store.transaction("store, then fail") { transaction in
                _ = try transaction.store(events, checkpoint: checkpoint)
                throw Abort()
            }
        } throws: { error in
            (error as? StoreError).map { String(describing: $0).contains("Abort") } ?? false
        }
        #expect(try store.head(origin: "xa-23059") == nil)
        #expect(try store.lastEventPosition() == 0)

        let positions = try fixture.storeBatch()
        #expect(positions.count == 3)
        #expect(positions == positions.sorted() && Set(positions).count == 3)
        #expect(try store.lastEventPosition() == positions.last)
        #expect(try store.head(origin: "xa-23059")?.seq == 3)
        #expect(try store.head(origin: "xa-23059")?.hash == events.last?.hash)
        #expect(try store.events(origin: "xa-23059", fromSeq: 2, limit: 10).map(\.hash) == events.suffix(2).map(\.hash))
        #expect(try store.events(origin: "xa-23059", fromSeq: 1, limit: 1).map(\.seq) == [1])
        #expect(try store.checkpoints(origin: "xa-23059", seqs: 1...3).map(\.seq) == [3])
        try store.transaction("read the head") { transaction in
            let head = try #require(try transaction.head(origin: "xa-23059"))
            #expect(head.seq == 3)
            #expect(head.epoch == fixture.communeIdentity.epoch)
            #expect(try transaction.held(origin: "xa-23059", seq: 2)?.hash == events[1].hash)
            #expect(try transaction.held(origin: "xa-23059", seq: 4) == nil)
        }
        // Storing the same seqs again breaks the chain's uniqueness: refused, nothing changes.
        #expect(throws: StoreError.self) { try fixture.storeBatch() }
        #expect(try store.lastEventPosition() == positions.last)
    }

    @Test(arguments: StoreUnderTest.all) func aFeedHandsOutPositionsInOrderAndContinuesAfterARebase(_ subject: StoreUnderTest) throws {
        var fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        try fixture.enrol("xa-23062", credential: "c-62")
        let codes = try fixture.receive(3)
        let positions = try fixture.storeBatch()
        try store.transaction("route") { transaction in
            try transaction.addAudience(dossier: codes[0], origin: "xa-23062")
            try transaction.addAudience(dossier: codes[0], origin: "xa-23062")
            #expect(try transaction.audience(of: codes[0]) == ["xa-23062"])
            #expect(try transaction.audience(of: codes[1]).isEmpty)
            try transaction.appendToFeed(node: "xa-23062", eventPositions: positions, now: fixture.now)
        }
        #expect(try store.feedEnd(node: "xa-23062") == 3)
        #expect(try store.feedEnd(node: "xa-23065") == 0)
        let first = try store.feed(node: "xa-23062", since: 0, limit: 2)
        #expect(first.entries.map(\.position) == [1, 2])
        #expect(first.end == 3)
        #expect(first.entries.map(\.event.dossier) == Array(codes.prefix(2)))
        #expect(try store.feed(node: "xa-23062", since: 2, limit: 100).entries.map(\.position) == [3])

        // Delivered up to what the node pulled from.
        try store.recordPull(node: "xa-23062", since: 2, now: fixture.now + 1, contact: NodeContactRecord(head: 0, skewMs: 1_500))
        let status = try #require(try store.nodeStatuses().first { $0.node == "xa-23062" })
        #expect(status.delivered == 2)
        #expect(status.feedEnd == 3)
        #expect(status.skewMs == 1_500)
        #expect(status.lastSeenAt == fixture.now + 1)

        // A node ahead of a restored feed: the feed goes on after what it holds.
        #expect(try store.rebaseFeed(node: "xa-23062", after: 10) == 10)
        try store.transaction("route again") { transaction in
            try transaction.appendToFeed(node: "xa-23062", eventPositions: [positions[0]], now: fixture.now)
        }
        #expect(try store.feed(node: "xa-23062", since: 10, limit: 10).entries.map(\.position) == [11])
    }

    @Test(arguments: StoreUnderTest.all) func aQuarantinedEventIsKeptButNeitherFoldedNorShown(_ subject: StoreUnderTest) throws {
        var fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        let codes = try fixture.receive(2)
        let positions = try fixture.storeBatch()
        try store.transaction("quarantine") { transaction in
            try transaction.quarantine(position: positions[0], reason: "not the sender's dossier")
            #expect(try transaction.visibleEvents(ofDossier: codes[0]).isEmpty)
            #expect(try transaction.visibleEvents(ofDossier: codes[1]).map(\.position) == [positions[1]])
        }
        #expect(try store.dossier(codes[0]) == nil)
        #expect(try store.dossier(codes[1])?.code == codes[1])
        #expect(try store.quarantined().map(\.reason) == ["not the sender's dossier"])
        #expect(try store.statusFacts(now: fixture.now).quarantined == 1)
    }

    @Test(arguments: StoreUnderTest.all) func theProjectorFoldsEachTouchedDossierOnceAndAdvances(_ subject: StoreUnderTest) throws {
        var fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        let codes = try fixture.receive(3)
        let positions = try fixture.storeBatch()
        let before = try store.projectorProgress()
        #expect(before.projected == 0 && before.stored == positions.last)
        let first = try ProjectorService.project(store, limit: 2)
        #expect(first.events == 2 && first.dossiers == 2)
        #expect(try store.projectorProgress().projected == positions[1])
        let second = try ProjectorService.project(store, limit: 2)
        #expect(second.events == 1 && second.dossiers == 1)
        #expect(try ProjectorService.project(store, limit: 2).events == 0)
        #expect(try store.statusFacts(now: fixture.now).projectorLag == 0)
        for code in codes {
            #expect(try store.dossier(code)?.stateHash == (try fixture.commune.dossier(code))?.stateHash)
        }
    }

    @Test(arguments: StoreUnderTest.all) func theHubsOwnEventsMakeOneChainAfterWhatItTookBack(_ subject: StoreUnderTest) throws {
        let fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        func publish(_ version: String, at time: UInt64) throws -> Event {
            let (body, _) = try Publication.body(kind: .calendar, content: try Fixtures.calendarFile(version: version), file: "c.json", now: Int64(time))
            let draft = EventDraft(dossier: nil, type: Publication.Kind.calendar.eventType, actor: "vh-hethong", body: body)
            return try store.transaction("publish") { transaction in
                try #require(try transaction.appendOwn([draft], key: fixture.hubKey, wallMilliseconds: { time }).first?.event)
            }
        }
        let first = try publish("2026.2", at: 1_795_000_000_000)
        let second = try publish("2026.3", at: 1_795_000_000_001)
        #expect(first.seq == 1)
        #expect(second.seq == 2)
        #expect(second.prev == first.hash)
        #expect(try store.head(origin: "hub-597")?.hash == second.hash)
        try store.transaction("read") { transaction in
            #expect(try transaction.publications(.calendar).map(\.version) == ["2026.3", "2026.2"])
            // Events of its own taken back from a node move its clock past them.
            try transaction.advanceClock(past: HLC(physical: 1_900_000_000_000, counter: 0))
        }
        let third = try publish("2026.4", at: 1_795_000_000_002)
        #expect(third.hlc > HLC(physical: 1_900_000_000_000, counter: 0))
        let heads = try store.pullHeads(node: "xa-23059", hub: "hub-597")
        #expect(heads.stored == 0 && heads.hubHead == 3 && heads.recovery == nil)
    }

    @Test(arguments: StoreUnderTest.all) func aCloneSuspicionHoldsEvidenceUntilTheOperatorKeepsAnEpoch(_ subject: StoreUnderTest) throws {
        var fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        try fixture.enrol()
        _ = try fixture.receive(2)
        try fixture.storeBatch()
        let kept = fixture.communeIdentity.epoch
        let other = LocalIdentity.newEpoch()
        let (events, _) = try fixture.batch()
        let id = try store.transaction("suspect a clone") { transaction in
            let id = try transaction.openCloneSuspicion(origin: "xa-23059", epoch: other, divergedAt: 2, reason: "interleaved", now: fixture.now)
            try transaction.holdAsEvidence(events, suspicion: id, now: fixture.now)
            try transaction.holdAsEvidence(events, suspicion: id, now: fixture.now)
            return id
        }
        let open = try #require(try store.cloneSuspicions(openOnly: true).first)
        #expect(open.id == id)
        #expect(Set(open.sides.map(\.epoch)) == [kept, other])
        #expect(open.sides.first { $0.epoch == kept }?.held == 2)
        #expect(try store.statusFacts(now: fixture.now).suspectedClones.map(\.origin) == ["xa-23059"])
        try store.transaction("guards") { transaction in
            let guards = try transaction.guards(origin: "xa-23059", epoch: other)
            #expect(guards.suspicion == id)
            #expect(!guards.epochFenced && !guards.anyFenced)
        }

        // The operator's settlement, as the service composes it: fence the other side, close the suspicion.
        try store.transaction("settle") { transaction in
            let suspicion = try #require(try transaction.openSuspicion(origin: "xa-23059"))
            #expect(suspicion.id == id && Set(suspicion.sides.map(\.epoch)) == [kept, other])
            try transaction.fence(origin: "xa-23059", epoch: other)
            try transaction.fence(origin: "xa-23059", epoch: other)  // fencing twice is harmless
            try transaction.settleSuspicion(id, keptEpoch: kept, fenced: [other], by: "vh-hethong", now: fixture.now + 1)
        }
        let settled = try #require(try store.cloneSuspicions(openOnly: false).first)
        #expect(settled.fencedEpochs == [other])
        #expect(settled.resolvedBy == "vh-hethong" && settled.resolvedAt == fixture.now + 1)
        #expect(settled.keptEpoch == kept)
        #expect(try store.cloneSuspicions(openOnly: true).isEmpty)
        try store.transaction("guards") { transaction in
            #expect(try transaction.openSuspicion(origin: "xa-23059") == nil)
            #expect(try transaction.isFenced(origin: "xa-23059", epoch: other))
            #expect(try !transaction.isFenced(origin: "xa-23059", epoch: kept))
            let guards = try transaction.guards(origin: "xa-23059", epoch: kept)
            #expect(guards.suspicion == nil && !guards.epochFenced && guards.anyFenced)
        }
    }

    @Test(arguments: StoreUnderTest.all) func aCommitThatStoresOrRoutesWakesWaitersAndNothingElseDoes(_ subject: StoreUnderTest) throws {
        var fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        try fixture.enrol("xa-23062", credential: "c-62")
        let afterEnrolment = store.changes.generation
        _ = try fixture.receive(2)
        let positions = try fixture.storeBatch()
        #expect(store.changes.generation > afterEnrolment)
        let afterStore = store.changes.generation
        try store.transaction("route") { transaction in try transaction.appendToFeed(node: "xa-23062", eventPositions: positions, now: fixture.now) }
        #expect(store.changes.generation > afterStore)
        // Reads, a projector pass, a contact, a failed write: no feed changed, nobody is woken.
        let quiet = store.changes.generation
        try store.transaction("read") { transaction in _ = try transaction.head(origin: "xa-23059") }
        try ProjectorService.project(store)
        try store.recordPull(node: "xa-23062", since: 1, now: fixture.now, contact: NodeContactRecord())
        #expect(throws: StoreError.self) {
            try store.transaction("store, then fail") { transaction in
                try transaction.appendToFeed(node: "xa-23062", eventPositions: positions, now: fixture.now)
                throw Abort()
            }
        }
        #expect(store.changes.generation == quiet)
    }

    @Test(arguments: StoreUnderTest.all) func theHeartbeatAndTheIdentityAreWhatStatusReads(_ subject: StoreUnderTest) throws {
        let fixture = try Fixture(subject)
        defer { fixture.cleanup() }
        let store = fixture.store
        #expect(try store.identity() == fixture.hub)
        #expect(try store.statusFacts(now: fixture.now).heartbeat == nil)
        try store.beat(now: fixture.now, pid: 4242, intervalMs: 5_000)
        let facts = try store.statusFacts(now: fixture.now + 1)
        #expect(facts.hub == "hub-597")
        #expect(facts.heartbeat?.pid == 4242)
        #expect(facts.heartbeat?.intervalMs == 5_000)
        #expect(facts.recovery == nil)
        #expect(try store.recovery() == nil)
    }
}

extension Result where Failure == EnrolmentRefusal {
    /// Why the enrolment was refused, or nil when it succeeded.
    var refusal: EnrolmentRefusal? {
        if case .failure(let refusal) = self { refusal } else { nil }
    }
    var succeeded: Bool { refusal == nil }
}
