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
        /// The database under the hub's store: what the tests check it holds.
        let hubDatabase: HubDatabase
        let hubKey: SigningKey
        let node: NodeDatabase
        let nodeKey = SigningKey()
        let now: Int64 = 1_795_000_000_000
        static let nodeEpoch = LocalIdentity.newEpoch()

        init() throws {
            hubKey = SigningKey()
            hubDatabase = try HubDatabase.inMemory()
            let hubIdentity = LocalIdentity(
                origin: "hub-597", epoch: LocalIdentity.newEpoch(), agencyCode: "597", officeName: "UBND huyện Hàm Thuận Bắc", createdAt: 0)
            try hubDatabase.initialize(identity: hubIdentity, publicKey: hubKey.publicKey)
            let topology = try Topology.load(try Data(contentsOf: Fixtures.topologyURL), file: "topology")
            hub = HubService(store: SQLiteHubStore(hubDatabase), identity: hubIdentity, key: hubKey, topology: topology, workflow: try Fixtures.workflow())
            node = try NodeDatabase.inMemory()
            let identity = LocalIdentity(origin: "xa-23059", epoch: Self.nodeEpoch, agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0)
            try node.initialize(identity: identity, publicKey: nodeKey.publicKey)
            let token = try hub.issueEnrolmentToken(node: "xa-23059", now: now)
            let answer = try hub.enroll(EnrollRequest(node: "xa-23059", token: token, epoch: Self.nodeEpoch, publicKey: nodeKey.publicKey.hex), now: now)
            try node.linkHub(HubLink(url: "http://127.0.0.1:1", enrolment: answer, enrolledAt: now))
        }

        /// A dossier received and forwarded to the district, pushed; the hub backed up into a new
        /// temporary directory; then the district accepts and approves it (hub seqs 1 and 2).
        /// - Returns: the code, the directory (the caller removes it), the backup, the hub's workflow.
        func decidedAfterBackup(tick: @escaping () -> UInt64) throws -> (code: String, directory: URL, backup: String, hubWorkflow: Workflow) {
            let workflow = try Fixtures.workflow()
            let code = try receive(workflow: workflow, tick: tick)
            _ = try node.perform(
                .forward(agency: "597", reason: "Thẩm quyền huyện"), on: code, actor: "cb-tuphap-01", workflow: workflow, key: nodeKey, wallMilliseconds: tick)
            #expect(try push(try batch()).outcome == .stored)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lienthong-hub-restore-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let backup = directory.appendingPathComponent("hub-backup.sqlite").path
            _ = try hubDatabase.backup(to: backup)
            let hubWorkflow = try Fixtures.districtWorkflow()
            let district = HubService(store: SQLiteHubStore(hubDatabase), identity: hub.identity, key: hubKey, topology: hub.topology, workflow: hubWorkflow)
            _ = try district.perform(.accept, on: code, actor: "pb-tiepnhan-01", wallMilliseconds: tick)
            _ = try district.perform(.resolve(approved: true, reason: ""), on: code, actor: "ld-ubnd-huyen", wallMilliseconds: tick)
            return (code, directory, backup, hubWorkflow)
        }

        /// Pulls the node's feed from `hub` after `since` and stores the page at the node, as the
        /// engine does.
        @discardableResult
        func pull(from hub: HubService, since: Int = 0, tick: () -> UInt64) throws -> PullPage {
            let page = try hub.pull(node: "xa-23059", since: since, limit: 100, now: now)
            _ = try node.storePulled(
                PulledPage(
                    since: page.since, to: page.to, end: page.end, hub: page.hub, hubEpoch: page.hubEpoch, signature: page.signature,
                    entries: page.entries.map { ($0.position, $0.event) }),
                wallMilliseconds: tick, now: now)
            return page
        }

        /// A wall clock one millisecond further at each read, from `now`.
        func ticker() -> () -> UInt64 {
            let clock = TestClock(milliseconds: UInt64(now))
            return {
                clock.advance(by: 1)
                return clock.now()
            }
        }

        /// Receives a counter dossier at the node; returns its code.
        func receive(workflow: Workflow, tick: @escaping () -> UInt64) throws -> String {
            try #require(
                try node.receive(Fixtures.intake(), actor: "cb-tiepnhan-01", workflow: workflow, key: nodeKey, wallMilliseconds: tick).events.first?.dossier)
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

    /// Seed 9102146: a hub that holds nothing of a commune (restored from a backup taken before its
    /// first push) takes a new epoch signed with the key pinned at enrolment — the same machine
    /// healed a fork — and refuses one signed with another key.
    @Test func aNewEpochIsTakenWithTheEnrolledKeyWhenTheHubHoldsNothingOfTheOrigin() throws {
        let pair = try Pair()
        let healed = LocalIdentity(origin: "xa-23059", epoch: LocalIdentity.newEpoch(), agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0)
        func push(signedWith key: SigningKey) throws -> OriginResult {
            let machine = try NodeDatabase.inMemory()
            try machine.initialize(identity: healed, publicKey: key.publicKey)
            var clock = UInt64(pair.now)
            _ = try machine.receive(Fixtures.intake(), actor: "cb-tiepnhan-01", workflow: try Fixtures.workflow(), key: key) {
                clock += 1
                return clock
            }
            let (events, checkpoint) = try #require(try machine.pendingBatch(afterSeq: 0, limit: 100, key: key))
            return try pair.push(PushBatch(events: events, checkpoint: checkpoint))
        }
        let forged = try push(signedWith: SigningKey())
        #expect(forged.outcome == .invalid)
        #expect(try pair.hubDatabase.head(origin: "xa-23059") == nil)
        let result = try push(signedWith: pair.nodeKey)
        #expect(result.outcome == .stored, "\(result.reason ?? "")")
        #expect(try pair.hubDatabase.originKeys(origin: "xa-23059")[healed.epoch] == pair.nodeKey.publicKey.hex)
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
        #expect(try pair.hubDatabase.head(origin: "xa-23059")?.seq == 3)
        #expect(try pair.hubDatabase.eventCount() == 3)
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
        let stored = try pair.hubDatabase.events(origin: "xa-23059", fromSeq: 1)
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
        try pair.hubDatabase.writer.write { db in
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
        #expect(try pair.hubDatabase.head(origin: "xa-23059")?.seq == 2)
        let suspicion = try #require(try pair.hubDatabase.cloneSuspicions(openOnly: true).first)
        #expect(Set(suspicion.sides.map(\.epoch)) == [Pair.nodeEpoch, fresh])
        // Keeping the epoch fenced before is refused; keeping the new one lets it in.
        let fencedBefore = #expect(throws: StoreError.self) {
            try pair.hub.resolveClone(origin: "xa-23059", keep: Pair.nodeEpoch, by: "vh-hethong", now: pair.now)
        }
        #expect(fencedBefore?.description.contains("was fenced by an earlier settlement") == true, "\(String(describing: fencedBefore))")
        try pair.hub.resolveClone(origin: "xa-23059", keep: fresh, by: "vh-hethong", now: pair.now)
        #expect(try pair.push(batch).outcome == .stored)
        #expect(try pair.hubDatabase.head(origin: "xa-23059")?.seq == 3)
    }

    /// DESIGN §5, a hub restored from a backup: its decisions after the backup survive at the
    /// node that pulled them; the node returns them with the pages that carried them, and the
    /// restored hub takes them back (chain, hashes, its own page signatures) before writing anew.
    /// A forged page or a changed event stores nothing; the district's decisions wait until the
    /// commune has returned them.
    @Test func aRestoredHubTakesItsOwnDecisionsBackFromANodeThatPulledThem() throws {
        let pair = try Pair()
        let tick = pair.ticker()
        // After the backup: the district accepts and decides; the commune pulls both decisions.
        let (code, directory, backup, hubWorkflow) = try pair.decidedAfterBackup(tick: tick)
        defer { try? FileManager.default.removeItem(at: directory) }
        let district = HubService(
            store: SQLiteHubStore(pair.hubDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology, workflow: hubWorkflow)
        try pair.pull(from: district, tick: tick)
        let decisions = try pair.hubDatabase.events(origin: "hub-597", fromSeq: 1)
        #expect(decisions.count == 2)

        // The hub is restored from the backup: its decisions are gone there, not at the node.
        let restoredDatabase = try HubDatabase(path: backup)
        let restored = HubService(
            store: SQLiteHubStore(restoredDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology, workflow: hubWorkflow)
        #expect(try restoredDatabase.head(origin: "hub-597") == nil)
        try restoredDatabase.startHubRecovery(backup: backup, hub: "hub-597", now: pair.now)
        #expect(try restoredDatabase.hubRecovery()?.waitingFor == ["xa-23059"])
        // Until the commune has returned what it holds, the district's decisions are refused.
        #expect {
            try restored.perform(.sendResult, on: code, actor: "pb-tiepnhan-01", wallMilliseconds: tick)
        } throws: { error in
            guard case StoreError.refused(let reason) = error else { return false }
            return reason.contains("restored from a backup") && reason.contains("xa-23059") && reason.contains("hub restore --finish")
        }
        let found = try pair.node.hubEventsToReturn(hub: "hub-597", afterSeq: 0, limit: 100)
        #expect(found.events.map(\.hash) == decisions.map(\.hash))
        #expect(found.more == false)
        let request = ReturnRequest(node: "xa-23059", events: found.events, pages: found.pages, recovery: Int(pair.now), held: 2, last: true)

        // Forged: a page signature from another key, or an event changed after it was signed.
        var forgedPage = request
        forgedPage.pages[0].signature = try PageSignature.sign(forgedPage.pages[0].summary, key: SigningKey())
        #expect(throws: HubError.self) { try restored.takeBack(forgedPage, node: "xa-23059", now: pair.now) }
        var changed = try ReturnRequest(bytes: request.bytes)
        changed.events[1].body = ["approved": false]
        #expect(throws: HubError.self) { try restored.takeBack(changed, node: "xa-23059", now: pair.now) }
        #expect(throws: HubError.self) { try restored.takeBack(request, node: "xa-23062", now: pair.now) }
        #expect(try restoredDatabase.head(origin: "hub-597") == nil)
        // Refused whole: nothing was kept aside either, and the commune still counts as waiting.
        #expect(try restoredDatabase.hubRecovery()?.heldAside == 0)
        #expect(try restoredDatabase.hubRecovery()?.waitingFor == ["xa-23059"])
        // A return naming another recovery (an earlier restore) takes the events but does not count.
        var stale = request
        stale.recovery = Int(pair.now) - 1
        stale.events = []
        #expect(try restored.takeBack(stale, node: "xa-23059", now: pair.now).recovering)
        #expect(try restoredDatabase.hubRecovery()?.waitingFor == ["xa-23059"])

        // Through the wire form, as the node will send it: both taken back; a retry changes nothing.
        let answer = try restored.takeBack(try ReturnRequest(bytes: request.bytes), node: "xa-23059", now: pair.now)
        #expect(answer.accepted == 2)
        #expect(answer.head.hash == decisions.last?.hash)
        // The only active commune has returned all it holds: the recovery is over.
        #expect(answer.recovering == false)
        #expect(try restoredDatabase.hubRecovery()?.finishedBy == "every commune returned")
        #expect(try restoredDatabase.events(origin: "hub-597", fromSeq: 1).map(\.hash) == decisions.map(\.hash))
        #expect(try restored.takeBack(request, node: "xa-23059", now: pair.now).accepted == 0)
        #expect(try restoredDatabase.verify().firstProblem == nil)
        // The next decision continues the chain after them.
        let next = try restored.perform(.sendResult, on: code, actor: "pb-tiepnhan-01", wallMilliseconds: tick)
        #expect(next.events.first?.seq == 3)
        #expect(next.events.first?.prev == decisions.last?.hash)
    }

    /// A decision returned after a restore whose predecessor no commune held cannot continue the
    /// hub's chain: it is held aside, and written again when the recovery finishes (`replaces`
    /// naming it). The commune, pulling the new event, moves its old copy aside; its log verifies
    /// and its state equals the hub's. The feed continues after the positions the node holds.
    @Test func aReturnedDecisionAfterAHoleIsWrittenAgainAndTheNodeMovesItsCopyAside() throws {
        let pair = try Pair()
        let tick = pair.ticker()
        let (code, directory, backup, hubWorkflow) = try pair.decidedAfterBackup(tick: tick)
        defer { try? FileManager.default.removeItem(at: directory) }
        let district = HubService(
            store: SQLiteHubStore(pair.hubDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology, workflow: hubWorkflow)
        let before = try pair.pull(from: district, since: 0, tick: tick)
        let decisions = try pair.hubDatabase.events(origin: "hub-597", fromSeq: 1)
        #expect(decisions.count == 2)

        let path = directory.appendingPathComponent("hub.sqlite").path
        _ = try pair.hubDatabase.backup(to: path)
        let summary = try HubDatabase.restoreHub(backup: backup, path: path, now: pair.now)
        #expect(summary.ownHead == 0)
        #expect(summary.keptAs != nil)
        let restoredDatabase = try HubDatabase(path: path)
        let restored = HubService(
            store: SQLiteHubStore(restoredDatabase), identity: pair.hub.identity, key: pair.hubKey, topology: pair.hub.topology, workflow: hubWorkflow)
        // The restored feed continues after the end it had in the database it replaced, so the
        // node's position is valid at once. A position beyond even that (the replaced database was
        // lost too) answers hub-behind, and the feed continues after it from then on.
        let recovering = try restored.pull(node: "xa-23059", since: before.to, limit: 100, now: pair.now)
        #expect(recovering.end == before.to)
        // A node that had not pulled everything moves past the positions the restored feed lacks
        // (the simulator found a node asking from below them for ever).
        let behind = try restored.pull(node: "xa-23059", since: 0, limit: 100, now: pair.now)
        #expect(behind.entries.isEmpty && behind.to == before.to)
        // A node stores such an empty page by moving its position (else every later page, from
        // the new position, would be ignored: the simulator found that too).
        let lagging = try NodeDatabase.inMemory()
        try lagging.initialize(
            identity: LocalIdentity(origin: "xa-23059", epoch: Pair.nodeEpoch, agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0),
            publicKey: pair.nodeKey.publicKey)
        _ = try lagging.storePulled(
            PulledPage(
                since: behind.since, to: behind.to, end: behind.end, hub: behind.hub, hubEpoch: behind.hubEpoch, signature: behind.signature,
                entries: []),
            wallMilliseconds: tick, now: pair.now)
        #expect(try lagging.syncCursor().pulled == before.to)
        #expect {
            _ = try restored.pull(node: "xa-23059", since: before.to + 3, limit: 100, now: pair.now)
        } throws: { error in
            guard case HubError.hubBehind(let end, _) = error else { return false }
            return end == before.to + 3
        }
        #expect(try restoredDatabase.feedEnd(node: "xa-23059") == before.to + 3)
        #expect(throws: HubError.self) { try restored.pull(node: "xa-23059", since: 1 << 41, limit: 100, now: pair.now) }
        #expect(recovering.recovery == Int(pair.now))
        #expect(recovering.hubHead == 0)

        // Only the second decision comes back (as if the first were held by no commune).
        let found = try pair.node.hubEventsToReturn(hub: "hub-597", afterSeq: 1, limit: 100)
        #expect(found.events.map(\.seq) == [2])
        let answer = try restored.takeBack(
            ReturnRequest(node: "xa-23059", events: found.events, pages: found.pages, recovery: Int(pair.now), held: 2, last: true),
            node: "xa-23059", now: pair.now)
        #expect(answer.accepted == 0)
        #expect(answer.recovering == false)
        let recovery = try #require(try restoredDatabase.hubRecovery())
        #expect(recovery.reappended == 1)
        let rewritten = try restoredDatabase.events(origin: "hub-597", fromSeq: 1)
        #expect(rewritten.count == 1)
        #expect(rewritten.first?.body["replaces"]?.stringValue == decisions[1].hash)
        #expect(rewritten.first?.type == decisions[1].type)
        #expect(try restoredDatabase.verify().firstProblem == nil)

        // The node pulls it: its old copy of seq 2 is moved aside, the new seq 1 replaces its seq 1.
        let page = try pair.pull(from: restored, since: before.to, tick: tick)
        #expect(page.entries.map(\.event.hash) == rewritten.map(\.hash))
        let held = try pair.node.events(origin: "hub-597", fromSeq: 1)
        #expect(held.map(\.hash) == rewritten.map(\.hash))
        #expect(Set(try pair.node.forkedEventHashes()) == Set(decisions.map(\.hash)))
        let verification = try pair.node.verify()
        #expect(verification.firstProblem == nil, "\(verification.problems)")
        _ = try ProjectorService.project(SQLiteHubStore(restoredDatabase), limit: 1_000)
        #expect(try pair.node.stateHashes()[code] == restoredDatabase.stateHashes()[code])
        // The district writes again, after the rewritten decision.
        let next = try restored.perform(.note("đã ghi lại sau khôi phục"), on: code, actor: "pb-tiepnhan-01", wallMilliseconds: tick)
        #expect(next.events.first?.seq == 2)
    }

    /// Two machines write in one epoch (neither healed yet): keeping it would fence nothing, so
    /// `resolve` refuses unless the operator says `--close-only`; then the hub stores again.
    @Test func keepingTheOnlyEpochOfASuspicionIsRefusedUnlessCloseOnly() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một")])
        try pair.write([Fixtures.note("hai")])
        // The copy: same origin, epoch and key; its seq 2 written before the original's.
        let copy = try NodeDatabase.inMemory()
        try copy.initialize(
            identity: LocalIdentity(origin: "xa-23059", epoch: Pair.nodeEpoch, agencyCode: "23059", officeName: "UBND thị trấn Ma Lâm", createdAt: 0),
            publicKey: pair.nodeKey.publicKey)
        var clock = UInt64(pair.now)
        let tick: () -> UInt64 = {
            clock += 1
            return clock
        }
        try copy.append([Fixtures.note("một")], key: pair.nodeKey, wallMilliseconds: tick)
        #expect(try copy.events(origin: "xa-23059", fromSeq: 1).map(\.hash) == pair.node.events(origin: "xa-23059", fromSeq: 1, limit: 1).map(\.hash))
        clock = UInt64(pair.now)
        try copy.append([Fixtures.note("bản sao")], key: pair.nodeKey, wallMilliseconds: tick)
        #expect(try pair.push(try pair.batch()).outcome == .stored)
        let (events, checkpoint) = try #require(try copy.pendingBatch(afterSeq: 1, limit: 100, key: pair.nodeKey))
        #expect(try pair.push(PushBatch(events: events, checkpoint: checkpoint)).outcome == .cloneSuspected)
        let suspicion = try #require(try pair.hubDatabase.cloneSuspicions(openOnly: true).first)
        #expect(suspicion.sides.map(\.epoch) == [Pair.nodeEpoch])

        let refused = #expect(throws: StoreError.self) {
            try pair.hub.resolveClone(origin: "xa-23059", keep: Pair.nodeEpoch, by: "vh-hethong", now: pair.now)
        }
        #expect(refused?.description.contains("--close-only") == true, "\(String(describing: refused))")
        let unknown = #expect(throws: StoreError.self) {
            try pair.hub.resolveClone(origin: "xa-23059", keep: "no-such-epoch", by: "vh-hethong", now: pair.now)
        }
        #expect(unknown?.description.contains("expected one of \(Pair.nodeEpoch)") == true, "\(String(describing: unknown))")
        #expect(try pair.hubDatabase.cloneSuspicions(openOnly: true).count == 1)
        let closed = try pair.hub.resolveClone(origin: "xa-23059", keep: Pair.nodeEpoch, by: "vh-hethong", now: pair.now, closeOnly: true)
        #expect(closed.fencedEpochs.isEmpty)
        #expect(try pair.hubDatabase.cloneSuspicions(openOnly: true).isEmpty)
        // Settling again: nothing is open any more, and the refusal says where to look.
        let again = #expect(throws: StoreError.self) {
            try pair.hub.resolveClone(origin: "xa-23059", keep: Pair.nodeEpoch, by: "vh-hethong", now: pair.now, closeOnly: true)
        }
        #expect(again?.description.contains("no suspected clone of xa-23059 is open") == true, "\(String(describing: again))")
        try pair.write([Fixtures.note("ba")])
        #expect(try pair.push(try pair.batch(after: 2)).outcome == .stored)
    }

    @Test func aTamperedEventStoresNothingAndSaysWhy() throws {
        let pair = try Pair()
        try pair.write([Fixtures.note("một"), Fixtures.note("hai")])
        var batch = try pair.batch()
        batch.events[1].body = ["text": "đã sửa"]
        let result = try pair.push(batch)
        #expect(result.outcome == .invalid)
        #expect(result.reason?.contains("signature does not verify") == true)
        #expect(try pair.hubDatabase.head(origin: "xa-23059") == nil)
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
        #expect(try pair.hubDatabase.eventCount() == 0)
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
        #expect(try pair.hubDatabase.quarantined().map(\.event.seq) == [1])
    }

    /// Regression: a forward followed by more events in the same batch put those events in the
    /// target's feed twice (once in the back-filled history, once as news).
    @Test func aForwardAndLaterEventsInOneBatchReachTheTargetOnceEach() throws {
        let pair = try Pair()
        let workflow = try Fixtures.workflow()
        let tick = pair.ticker()
        let code = try pair.receive(workflow: workflow, tick: tick)
        _ = try pair.node.perform(
            .forward(agency: "23062", reason: "Nơi cư trú"), on: code, actor: "cb-tuphap-01", workflow: workflow, key: pair.nodeKey, wallMilliseconds: tick)
        _ = try pair.node.perform(.note("Đã báo công dân"), on: code, actor: "cb-tiepnhan-01", workflow: workflow, key: pair.nodeKey, wallMilliseconds: tick)
        let (events, checkpoint) = try #require(try pair.node.pendingBatch(afterSeq: 0, limit: 100, key: pair.nodeKey))
        #expect(events.count == 3)
        #expect(try pair.push(PushBatch(events: events, checkpoint: checkpoint)).outcome == .stored)

        let feed = try pair.hubDatabase.feed(node: "xa-23062", since: 0, limit: 100)
        #expect(feed.entries.map(\.event.hash) == events.map(\.hash))
    }
}
