import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting
import LienThongWire
import Testing

/// The hub's push logic over real (in-memory) SQLite databases through the real migrator, with a
/// real node database on the other side.
@Suite struct HubServiceTests {
    struct Pair {
        let hub: HubService
        let node: NodeDatabase
        let nodeKey = SigningKey()
        let now: Int64 = 1_795_000_000_000
        static let nodeEpoch = LocalIdentity.newEpoch()

        init() throws {
            let hubKey = SigningKey()
            let hubDatabase = try NodeDatabase.inMemory()
            let hubIdentity = LocalIdentity(origin: "hub-597", epoch: LocalIdentity.newEpoch(), agencyCode: "597", officeName: "UBND huyện Hàm Thuận Bắc", createdAt: 0)
            try hubDatabase.initialize(identity: hubIdentity, publicKey: hubKey.publicKey)
            let topology = try Topology.load(try Data(contentsOf: Fixtures.topologyURL), file: "topology")
            hub = HubService(database: hubDatabase, identity: hubIdentity, key: hubKey, topology: topology, workflow: try Fixtures.workflow())
            node = try NodeDatabase.inMemory()
            let identity = LocalIdentity(origin: "xa-23059", epoch: Self.nodeEpoch, agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0)
            try node.initialize(identity: identity, publicKey: nodeKey.publicKey)
            let token = try hub.issueEnrolmentToken(node: "xa-23059", now: now)
            _ = try hub.enroll(EnrollRequest(node: "xa-23059", token: token, epoch: Self.nodeEpoch, publicKey: nodeKey.publicKey.hex), now: now)
        }

        func write(_ drafts: [EventDraft]) throws {
            var clock: UInt64 = UInt64(now)
            try node.append(drafts, key: nodeKey) {
                clock += 1
                return clock
            }
        }

        func batch(after seq: Int = 0) throws -> PushBatch {
            let (events, checkpoint) = try #require(try node.pendingBatch(afterSeq: seq, limit: 100, key: nodeKey))
            return PushBatch(events: events, checkpoint: checkpoint)
        }

        /// Pushes through the wire form, as the client sends it (without prev and hash).
        func push(_ batch: PushBatch, as node: String = "xa-23059") throws -> OriginResult {
            let request = try PushRequest(bytes: PushRequest(node: node, batches: [batch]).bytes)
            return try hub.push(request, node: "xa-23059", now: now).results[0]
        }
    }

    @Test func aReplayedBatchChangesNothing() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một"), Fixtures.note("hai"), Fixtures.note("ba")])
        let batch = try pair.batch()
        let first = try pair.push(batch)
        #expect(first.outcome == .stored)
        #expect(first.stored == 3)
        #expect(first.head.seq == 3)
        let again = try pair.push(batch)
        #expect(again.outcome == .duplicate)
        #expect(again.stored == 0)
        #expect(try pair.hub.database.head(origin: "xa-23059")?.seq == 3)
        #expect(try pair.hub.database.eventCount() == 3)
    }

    /// Regression (found by the simulator's clone fault): the machine kept after a clone re-sends,
    /// in its first push, events of the epoch both machines shared — which the operator fenced.
    /// What the hub holds is answered `duplicate`; only a new or diverging event is fenced off.
    @Test func aFencedEpochMayResendWhatTheHubHoldsButNothingNew() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một"), Fixtures.note("hai")])
        let held = try pair.batch()
        #expect(try pair.push(held).outcome == .stored)
        try pair.write([Fixtures.note("ba")])
        let more = try pair.batch()
        let stored = try pair.hub.database.ownEvents(origin: "xa-23059", fromSeq: 1)
        let head = try #require(stored.last)
        func decide(_ batch: PushBatch) -> BatchCheck.Verdict {
            BatchCheck.decide(
                batch, head: ChainHead(seq: head.seq, hash: head.hash), headHLC: head.hlc,
                held: { seq in stored.first { $0.seq == seq }.map { BatchCheck.Held(hash: $0.hash, hlc: $0.hlc) } },
                key: pair.nodeKey.publicKey, fenced: true)
        }
        #expect(decide(held) == .duplicate)
        guard case .reject(.epochFenced, let reason) = decide(more) else {
            Issue.record("a new event of a fenced epoch was not fenced: \(decide(more))")
            return
        }
        #expect(reason.contains("fenced off by the hub operator"))
    }

    /// Review finding: a fenced machine that heals (takes back, starts a fresh epoch with the same
    /// key) must not slip past the fence. Once an epoch of an origin was fenced, a new epoch is
    /// held as a suspected clone until the operator keeps it; keeping the fenced epoch is refused.
    @Test func aNewEpochAfterAFenceIsHeldUntilTheOperatorKeepsIt() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một"), Fixtures.note("hai")])
        #expect(try pair.push(try pair.batch()).outcome == .stored)
        // Reached by hand (a clone settled earlier fenced this epoch; the clone path itself is
        // covered end to end): the operator fenced the machine's epoch.
        try pair.hub.database.writer.write { db in
            try db.execute(sql: "INSERT INTO fencedEpoch (origin, epoch) VALUES ('xa-23059', ?)", arguments: [Pair.nodeEpoch])
        }
        // The fenced machine, healed: the hub's events taken back into a fresh epoch, same key.
        let healed = try NodeDatabase.inMemory()
        let fresh = LocalIdentity.newEpoch()
        try healed.initialize(
            identity: LocalIdentity(origin: "xa-23059", epoch: fresh, agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0),
            publicKey: pair.nodeKey.publicKey)
        let own = try pair.hub.own(node: "xa-23059", fromSeq: 1, limit: 100)
        try healed.healFork(
            hubEvents: own.events, hubHead: (own.head.seq, own.head.hash), fromSeq: 1, checkpoints: own.checkpoints, keys: own.keys,
            newEpoch: LocalIdentity.newEpoch(), key: pair.nodeKey, wallMilliseconds: { UInt64(pair.now) + 10 }, now: pair.now)
        var clock = UInt64(pair.now) + 100
        try healed.append([Fixtures.note("ba")], key: pair.nodeKey) {
            clock += 1
            return clock
        }
        let (events, checkpoint) = try #require(try healed.pendingBatch(afterSeq: 2, limit: 100, key: pair.nodeKey))
        #expect(checkpoint.epoch == fresh)
        let batch = PushBatch(events: events, checkpoint: checkpoint)
        let held = try pair.push(batch)
        #expect(held.outcome == .cloneSuspected, "\(held)")
        #expect(try pair.hub.database.head(origin: "xa-23059")?.seq == 2)
        let suspicion = try #require(try pair.hub.database.cloneSuspicions(openOnly: true).first)
        #expect(Set(suspicion.sides.map(\.epoch)) == [Pair.nodeEpoch, fresh])
        // Keeping the epoch fenced before is refused; keeping the new one lets it in.
        #expect(throws: StoreError.self) { try pair.hub.database.resolveClone(origin: "xa-23059", keep: Pair.nodeEpoch, by: "vh-hethong", now: pair.now) }
        try pair.hub.database.resolveClone(origin: "xa-23059", keep: fresh, by: "vh-hethong", now: pair.now)
        #expect(try pair.push(batch).outcome == .stored)
        #expect(try pair.hub.database.head(origin: "xa-23059")?.seq == 3)
    }

    @Test func aTamperedEventStoresNothingAndSaysWhy() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một"), Fixtures.note("hai")])
        var batch = try pair.batch()
        batch.events[1].body = ["text": "đã sửa"]
        let result = try pair.push(batch)
        #expect(result.outcome == .invalid)
        #expect(result.reason?.contains("signature does not verify") == true)
        #expect(try pair.hub.database.head(origin: "xa-23059") == nil)
    }

    @Test func aBatchThatSkipsSeqsIsAGap() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một")])
        try pair.write([Fixtures.note("hai")])
        let result = try pair.push(try pair.batch(after: 1))
        #expect(result.outcome == .gap)
        #expect(result.head.seq == 0)
    }

    @Test func aCredentialCannotPushAsAnotherNode() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một")])
        let batch = try pair.batch()
        let asOther = #expect(throws: HubError.self) { try pair.push(batch, as: "xa-23062") }
        #expect(asOther?.status == 403)
        let unknown = #expect(throws: HubError.self) { try pair.hub.authenticate(credential: "not-a-credential") }
        #expect(unknown?.status == 401)
        #expect(try pair.hub.database.eventCount() == 0)
    }

    @Test func anEventOnAnotherOfficesDossierIsQuarantinedAndLaterEventsFlow() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("không phải của mình", dossier: "23062-261122-0001")])
        let first = try pair.push(try pair.batch())
        #expect(first.outcome == .stored)
        #expect(first.quarantined == 1)
        try pair.write([Fixtures.note("của mình")])
        let second = try pair.push(try pair.batch(after: 1))
        #expect(second.outcome == .stored)
        #expect(second.quarantined == 0)
        #expect(try pair.hub.database.quarantined().map(\.event.seq) == [1])
    }

    /// Regression: a forward followed by more events in the same batch put those events in the
    /// target's feed twice (once in the back-filled history, once as news).
    @Test func aForwardAndLaterEventsInOneBatchReachTheTargetOnceEach() throws {
        let pair = try Pair()
        let workflow = try Fixtures.workflow()
        var clock = UInt64(pair.now)
        let tick: () -> UInt64 = {
            clock += 1
            return clock
        }
        let intake = Workflow.Intake(
            procedureCode: "1.001776", applicantName: "Lê Văn Tư", idNumber: "060123456789", phone: "0912345678", address: "thôn 1",
            documents: ["Tờ khai"], channel: .counter)
        let code = try #require(
            try pair.node.receive(intake, actor: "cb-tiepnhan-01", workflow: workflow, key: pair.nodeKey, wallMilliseconds: tick).events.first?.dossier)
        _ = try pair.node.perform(
            .forward(agency: "23062", reason: "Nơi cư trú"), on: code, actor: "cb-tuphap-01", workflow: workflow, key: pair.nodeKey, wallMilliseconds: tick)
        _ = try pair.node.perform(.note("Đã báo công dân"), on: code, actor: "cb-tiepnhan-01", workflow: workflow, key: pair.nodeKey, wallMilliseconds: tick)
        let (events, checkpoint) = try #require(try pair.node.pendingBatch(afterSeq: 0, limit: 100, key: pair.nodeKey))
        #expect(events.count == 3)
        #expect(try pair.push(PushBatch(events: events, checkpoint: checkpoint)).outcome == .stored)

        let feed = try pair.hub.database.feed(node: "xa-23062", since: 0, limit: 100)
        #expect(feed.entries.map(\.event.hash) == events.map(\.hash))
    }
}
