import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync
import LienThongWire
import Logging
import Synchronization

/// The deterministic simulator (issue 6): one process, one thread, a hub and several communes
/// running the real sync engine (``SyncEngine``, ``NodeSyncCore``), the real hub service
/// (``HubService``) and the real Core and Store code over real SQLite files, connected by a
/// simulated network that a seeded scheduler drives. Time is simulated, so days of office work take
/// seconds, and one seed always gives the same run.
///
/// What is simulated rather than real, and why: the HTTP layer (Hummingbird and URLSession are
/// replaced by message passing, which is what lets one thread order every step), the long-poll
/// wait (a parked request answered when the feed grows or the wait ends), and the paging of
/// `/v1/sync/own` (the simulated hub answers every page at once; ``NodeSync`` pages over HTTP).
///
/// Faults: requests and responses dropped, duplicated, delayed past each other; a response dropped
/// after the hub applied the request; partitioned links; nodes and the hub crashed and restarted
/// (what was not committed is lost); a node restored from an earlier backup; clocks skewed by up to
/// ±24 h. Invariants are checked during and after each run (``SimulationInvariants``).
public final class Simulation {
    public enum FaultKind: String, CaseIterable, Sendable, Comparable {
        case dropRequest = "drop-request"
        case dropResponse = "drop-response-after-apply"
        case duplicateRequest = "duplicate-request"
        case duplicateResponse = "duplicate-response"
        case delay = "delay-reorder"
        case partition
        case crashNode = "crash-node"
        case crashHub = "crash-hub"
        case restoreNode = "restore-node-backup"
        case clockSkew = "clock-skew-24h"
        case cloneNode = "clone-node"
        case restoreHub = "restore-hub-backup"

        public static func < (lhs: FaultKind, rhs: FaultKind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public struct Options: Sendable {
        public var seed: UInt64
        /// Simulated office days before healing and draining.
        public var days = 1
        /// Whether faults are injected (a control run without them must also pass).
        public var faults = true
        /// Where the SQLite files go (a fresh directory per run, removed afterwards unless kept).
        public var directory: URL
        public var keepFiles = false
        /// Print every occurrence as it is handled (for replaying a failing seed).
        public var trace = false
        /// Whether the hub is backed up and restored from its backups (`restore-hub-backup`).
        public var hubRestores = true

        public init(seed: UInt64, directory: URL) {
            self.seed = seed
            self.directory = directory
        }
    }

    /// What one run did and found.
    public struct Report: Sendable {
        public var seed: UInt64
        /// Events stored at the hub at the end, all origins.
        public var events: Int
        public var dossiers: Int
        public var conflicts: Int
        public var heals: Int
        /// Clone suspicions the hub opened and its operator settled (`hub fork resolve`).
        public var settledClones: Int = 0
        public var faults: [FaultKind: Int]
        /// Invariant violations; empty when the run passed.
        public var failures: [String]
        public var seconds: Double
    }

    // MARK: The world

    struct Message {
        var node: Int
        var id: Int
        var incarnation: Int
    }

    enum Payload {
        case push(PushRequest)
        case pull(since: Int, limit: Int, wait: Int)
        case own(fromSeq: Int)
        case returnHub(ReturnRequest)
    }

    enum Answer {
        case push(PushResponse)
        case pull(PullPage)
        case own(OwnEvents)
        case returned(ReturnResponse)
        case failure(HubClientError)
    }

    enum Occurrence {
        case clerk(Int)
        case hubClerk
        case wake(Int)
        case beat(Int)
        case atHub(Message, Payload)
        case atNode(Message, Answer)
        case timeout(Message)
        case longPollEnd(Int)
        case restartNode(Int)
        case restartHub
        case healPartition(Int)
        case backup(Int)
        case hubBackup
        case settleClone(Int)
        case fault
        case statusCheck
    }

    struct Scheduled {
        var at: Int64
        var order: Int
        var occurrence: Occurrence
    }

    struct InFlight {
        var action: SyncEngine.Action
        var request: PushRequest?
        var started: Int64
        /// A return's request, the last seq it looked at and whether more may follow.
        var returning: (request: ReturnRequest, throughSeq: Int, more: Bool)?
    }

    final class SimNode {
        let index: Int
        let origin: String
        let agency: String
        let office: String
        let path: String
        let key: SigningKey
        let workflow: Workflow
        var link: HubLink
        var credential: String
        var database: NodeDatabase?
        var engine: SyncEngine
        var incarnation = 0
        var inFlight: [Int: InFlight] = [:]
        var skew: Int64 = 0
        var up = true
        var partitionedUntil: Int64 = 0
        var backups: [String] = []
        var backupsTaken = 0
        /// Own events a clerk was told were saved (a restore drops those its disk lost).
        var saved: [(seq: Int, hash: String)] = []
        var wakeAt: Int64?
        /// A second machine writing as the same origin (a copy of `twinOf`'s disk), and whether the
        /// hub's operator has switched a machine off after settling the clone (its files stay as
        /// evidence; it takes no further part, and the invariants leave it out).
        var twinOf: Int?
        var retired = false
        var clerkStopped = false
        var settleWaits = 0

        init(
            index: Int, origin: String, agency: String, office: String, path: String, key: SigningKey, workflow: Workflow, link: HubLink, credential: String,
            database: NodeDatabase, seed: UInt64
        ) {
            self.index = index
            self.origin = origin
            self.agency = agency
            self.office = office
            self.path = path
            self.key = key
            self.workflow = workflow
            self.link = link
            self.credential = credential
            self.database = database
            self.engine = SyncEngine(localHead: 0, storedSeq: 0, pulled: 0, seed: seed)
        }
    }

    struct Parked {
        var message: Message
        var since: Int
        var limit: Int
    }

    static let communes: [(origin: String, agency: String, office: String)] = [
        ("xa-23059", "23059", "UBND thị trấn Ma Lâm"), ("xa-23062", "23062", "UBND xã Phú Long"), ("xa-23065", "23065", "UBND xã La Dạ"),
    ]
    /// 2026-11-23 07:30 in Vietnam (a Monday), Unix ms.
    static let start: Int64 = 1_795_393_800_000

    let options: Options
    var random: SeededGenerator
    var now: Int64 = Simulation.start
    var queue: [Scheduled] = []
    var order = 0
    var nextID = 0
    var hub: HubService
    /// The hub's database, as the hub's service holds it (through its store).
    var hubDatabase: HubDatabase
    var hubUp = true
    var hubSkew: Int64 = 0
    let hubPath: String
    let hubKey: SigningKey
    let hubIdentity: LocalIdentity
    let hubWorkflow: Workflow
    let topology: Topology
    var nodes: [SimNode] = []
    var parked: [Int: Parked] = [:]
    var faults: [FaultKind: Int] = [:]
    var failures: [String] = []
    /// Every (origin, seq) → hash the hub answered as stored: none may be lost.
    var acknowledged: [String: String] = [:]
    var acknowledgedOrder: [String] = []
    /// The hub's backups (`hub backup`), oldest first.
    var hubBackups: [String] = []
    var hubBackupsTaken = 0
    /// Acknowledged events a hub restore lost from the hub: their nodes must push them again.
    var lostByHubRestore: Set<String> = []
    /// Every event of the hub's own that a node held when the hub was restored, by id → hash:
    /// each must survive at the hub, as itself or written again (`replaces`).
    var hubHeldAtRestore: [String: String] = [:]
    var hubHeldOrder: [String] = []
    /// When the hub was last restored: what it lost is pending again only from then on.
    var hubRestoredAt: Int64?
    var faultsOn = true
    let logger: Logger

    public init(options: Options) throws {
        self.options = options
        random = SeededGenerator(seed: options.seed)
        faultsOn = options.faults
        var logger = Logger(label: "lienthong.simulation")
        logger.logLevel = .critical
        self.logger = logger
        let fileManager = FileManager.default
        try? fileManager.removeItem(at: options.directory)
        try fileManager.createDirectory(at: options.directory, withIntermediateDirectories: true)
        hubPath = options.directory.appendingPathComponent("hub.sqlite").path
        var keyRandom = SeededGenerator(seed: options.seed ^ 0x5EED)
        func seededKey() throws -> SigningKey { try SigningKey(seed: (0..<32).map { _ in UInt8(truncatingIfNeeded: keyRandom.next()) }) }
        func seededEpoch() -> String { Digest.hex((0..<16).map { _ in UInt8(truncatingIfNeeded: keyRandom.next()) }) }
        hubKey = try seededKey()
        hubIdentity = LocalIdentity(origin: "hub-597", epoch: seededEpoch(), agencyCode: "597", officeName: "UBND huyện Hàm Thuận Bắc", createdAt: 0)
        hubWorkflow = try Fixtures.districtWorkflow()
        guard let topology = hubWorkflow.topology else { throw HarnessError(description: "the fixture workflow has no topology") }
        self.topology = topology
        hubDatabase = try HubDatabase(path: hubPath)
        try hubDatabase.initialize(identity: hubIdentity, publicKey: hubKey.publicKey)
        hub = Self.makeHub(database: hubDatabase, identity: hubIdentity, key: hubKey, topology: topology, workflow: hubWorkflow, seed: options.seed)

        for (index, commune) in Self.communes.enumerated() {
            let path = options.directory.appendingPathComponent("\(commune.origin).sqlite").path
            let key = try seededKey()
            let identity = LocalIdentity(origin: commune.origin, epoch: seededEpoch(), agencyCode: commune.agency, officeName: commune.office, createdAt: 0)
            let database = try NodeDatabase(path: path)
            try database.initialize(identity: identity, publicKey: key.publicKey)
            let token = try hub.issueEnrolmentToken(node: commune.origin, now: now)
            let answer = try hub.enroll(EnrollRequest(node: commune.origin, token: token, epoch: identity.epoch, publicKey: key.publicKey.hex), now: now)
            let link = HubLink(url: "sim://hub", enrolment: answer, enrolledAt: now)
            try database.linkHub(link)
            let workflow = try Fixtures.workflow(origin: commune.origin, agency: commune.agency, office: commune.office)
            nodes.append(
                SimNode(
                    index: index, origin: commune.origin, agency: commune.agency, office: commune.office, path: path, key: key, workflow: workflow,
                    link: link, credential: answer.credential, database: database, seed: random.next()))
        }
        // Clocks: now and then an office's clock is hours off, up to a day either way.
        for node in nodes where faultsOn {
            node.skew = chance(35) ? Int64(below(48 * 60 + 1) - 24 * 60) * 60_000 : Int64(below(240_001)) - 120_000
            if abs(node.skew) > 3_600_000 { count(.clockSkew) }
        }
        if faultsOn && chance(25) {
            hubSkew = Int64(below(48 * 60 + 1) - 24 * 60) * 60_000
            if abs(hubSkew) > 3_600_000 { count(.clockSkew) }
        }
    }

    static func makeHub(database: HubDatabase, identity: LocalIdentity, key: SigningKey, topology: Topology, workflow: Workflow, seed: UInt64) -> HubService {
        let counter = Mutex(SeededGenerator(seed: seed ^ 0xC0FFEE))
        return HubService(
            store: SQLiteHubStore(database), identity: identity, key: key, topology: topology, workflow: workflow,
            randomBytes: { count in counter.withLock { generator in (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) } } })
    }

    // MARK: Running

    /// Runs the office days with faults, then heals every fault and drains, then checks the
    /// invariants.
    public func run() -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            try runOfficeDays()
            try healAndDrain()
            try checkFinalInvariants()
        } catch {
            failures.append("the run stopped on an error: \(error)")
        }
        let elapsed = started.duration(to: clock.now)
        var report = Report(
            seed: options.seed, events: (try? hubDatabase.eventCount()) ?? 0, dossiers: 0, conflicts: 0,
            heals: nodes.map { node in (try? NodeDatabase(path: node.path).forkHeals()) ?? 0 }.reduce(0, +),
            faults: faults, failures: failures,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        if let hashes = try? hubDatabase.stateHashes() { report.dossiers = hashes.count }
        report.conflicts = (try? hubDatabase.conflicts(openOnly: false).count) ?? 0
        report.settledClones = (try? hubDatabase.cloneSuspicions(openOnly: false).filter { !$0.isOpen }.count) ?? 0
        if !options.keepFiles { try? FileManager.default.removeItem(at: options.directory) }
        return report
    }

    func runOfficeDays() throws {
        for node in nodes {
            node.engine = try makeEngine(node)
            schedule(Int64(below(600_000)), .clerk(node.index))
            schedule(0, .wake(node.index))
            schedule(0, .beat(node.index))
            if faultsOn { schedule(Int64(1 + below(8)) * 3_600_000, .backup(node.index)) }
        }
        schedule(Int64(below(900_000)), .hubClerk)
        if faultsOn && options.hubRestores { schedule(Int64(1 + below(8)) * 3_600_000, .hubBackup) }
        schedule(30 * 60_000, .statusCheck)
        if faultsOn { schedule(Int64(below(1_800_000)), .fault) }
        let end = Self.start + Int64(options.days) * 86_400_000
        while let first = queue.first, first.at <= end, let next = popNext() {
            now = max(now, next.at)
            if options.trace { print("\(Fixtures.vietnamText(now)) \(describe(next.occurrence))") }
            try handle(next.occurrence)
            guard failures.count < 20 else { return }
        }
    }

    /// Heals every partition, restarts what is down, stops injecting faults, and runs until every
    /// node has pushed everything and pulled its feed to the end — or gives up after simulated days.
    func healAndDrain() throws {
        faultsOn = false
        for node in nodes where !node.retired {
            node.partitionedUntil = 0
            node.clerkStopped = node.twinOf != nil
            if !node.up { try restart(node) }
        }
        if !hubUp { try restartHub() }
        let deadline = now + 3 * 86_400_000
        var quiet = 0
        while now < deadline {
            guard let next = popNext() else { break }
            now = max(now, next.at)
            switch next.occurrence {
            case .clerk, .hubClerk, .fault, .backup, .hubBackup: continue
            default:
                if options.trace { print("\(Fixtures.vietnamText(now)) drain \(describe(next.occurrence))") }
                try handle(next.occurrence)
            }
            if try drained() {
                quiet += 1
                if quiet > 50 { return }
            } else {
                quiet = 0
            }
        }
        failures.append(
            "did not drain within 3 simulated days after healing: "
                + nodes.filter { !$0.retired }.map { node in
                    "\(node.origin) head \(node.engine.localHead) stored \(node.engine.storedSeq) pulled \(node.engine.pulled)/\(node.engine.feedEnd)"
                        + (node.engine.blocked.map { " blocked \($0.outcome.rawValue): \($0.reason)" } ?? "") + (node.engine.healing ? " healing" : "")
                }.joined(separator: "; "))
    }

    func drained() throws -> Bool {
        if nodes.contains(where: { $0.twinOf != nil && !$0.retired && !nodes[$0.twinOf!].retired }) { return false }
        // The engines' own state first: no database read while one is still busy.
        for node in nodes where !node.retired {
            if !node.up || node.engine.healing || node.engine.blocked != nil { return false }
        }
        if try !hubDatabase.cloneSuspicions(openOnly: true).isEmpty { return false }
        for node in nodes where !node.retired {
            guard let database = node.database else { return false }
            let head = try database.head(origin: node.origin)?.seq ?? 0
            let held = try hubDatabase.head(origin: node.origin)?.seq ?? 0
            let end = try hubDatabase.feedEnd(node: node.origin)
            if head != held || node.engine.pulled < end { return false }
        }
        return true
    }

    // MARK: Scheduling

    func describe(_ occurrence: Occurrence) -> String {
        func name(_ index: Int) -> String { nodes[index].origin }
        switch occurrence {
        case .clerk(let index): return "clerk \(name(index))"
        case .hubClerk: return "hub clerk"
        case .wake(let index):
            return
                "wake \(name(index)) engine head \(nodes[index].engine.localHead) stored \(nodes[index].engine.storedSeq) healing \(nodes[index].engine.healing)"
        case .beat(let index): return "beat \(name(index))"
        case .atHub(let message, let payload): return "at hub from \(name(message.node)) #\(message.id): \(payload)".prefix(160).description
        case .atNode(let message, let answer): return "at \(name(message.node)) #\(message.id): \(answer)".prefix(160).description
        case .timeout(let message): return "timeout \(name(message.node)) #\(message.id)"
        case .longPollEnd(let id): return "long-poll end \(id)"
        case .restartNode(let index): return "restart \(name(index))"
        case .restartHub: return "restart hub"
        case .healPartition(let index): return "heal partition \(name(index))"
        case .backup(let index): return "backup \(name(index))"
        case .hubBackup: return "hub backup"
        case .settleClone(let index): return "operator settles the clone \(name(index))#\(index)"
        case .fault: return "fault"
        case .statusCheck: return "status check"
        }
    }

    func schedule(_ delay: Int64, _ occurrence: Occurrence) {
        order += 1
        let item = Scheduled(at: now + max(0, delay), order: order, occurrence: occurrence)
        // Binary search for the insertion point: earliest first, then by order of scheduling.
        var low = 0
        var high = queue.count
        while low < high {
            let mid = (low + high) / 2
            if queue[mid].at < item.at || (queue[mid].at == item.at && queue[mid].order < item.order) { low = mid + 1 } else { high = mid }
        }
        queue.insert(item, at: low)
    }

    func popNext() -> Scheduled? { queue.isEmpty ? nil : queue.removeFirst() }

    func below(_ bound: Int) -> Int { Int(random.next() % UInt64(max(1, bound))) }
    func chance(_ percent: Int) -> Bool { below(1000) < percent * 10 }
    func count(_ kind: FaultKind) { faults[kind, default: 0] += 1 }

    func local(_ node: SimNode) -> Int64 { now + node.skew }
    var hubLocal: Int64 { now + hubSkew }

    func makeEngine(_ node: SimNode) throws -> SyncEngine {
        guard let database = node.database else { throw HarnessError(description: "\(node.origin) has no database open") }
        let cursor = try database.syncCursor()
        let head = try database.head(origin: node.origin)?.seq ?? 0
        var configuration = SyncEngine.Configuration()
        // Long-polls of 10 minutes rather than the daemon's 25 s: the same logic, far fewer
        // empty round trips to simulate.
        configuration.longPollSeconds = 600
        return SyncEngine(localHead: head, storedSeq: cursor.storedSeq, pulled: cursor.pulled, seed: random.next(), configuration: configuration)
    }

    func core(_ node: SimNode) throws -> NodeSyncCore {
        guard let database = node.database else { throw HarnessError(description: "\(node.origin) has no database open") }
        let seed = random.next()
        return NodeSyncCore(
            database: database, key: node.key, origin: node.origin, link: node.link, logger: logger,
            newEpoch: { Digest.hex((0..<16).map { UInt8(truncatingIfNeeded: seed >> (($0 % 8) * 8)) &+ UInt8($0) }) })
    }

    // MARK: Occurrences

    func handle(_ occurrence: Occurrence) throws {
        switch occurrence {
        case .clerk(let index):
            let node = nodes[index]
            guard !node.retired, !node.clerkStopped else { return }
            if node.up { try clerkActs(node) }
            schedule(Int64(3 + below(40)) * 60_000, .clerk(index))
        case .hubClerk:
            if hubUp { try hubClerkActs() }
            schedule(Int64(5 + below(50)) * 60_000, .hubClerk)
        case .wake(let index):
            let node = nodes[index]
            if node.wakeAt == now { node.wakeAt = nil }
            try drive(node)
        case .beat(let index):
            let node = nodes[index]
            if node.up, let database = node.database {
                try database.beat(now: local(node), pid: 1, intervalMs: 300_000)
                schedule(300_000, .beat(index))
            }
        case .atHub(let message, let payload):
            try arriveAtHub(message, payload)
        case .atNode(let message, let answer):
            try arriveAtNode(message, answer)
        case .timeout(let message):
            let node = nodes[message.node]
            guard node.incarnation == message.incarnation, let flight = node.inFlight.removeValue(forKey: message.id) else { return }
            try fail(node, flight, .timeout)
        case .longPollEnd(let id):
            guard let park = parked.removeValue(forKey: id), hubUp else { return }
            try answerPull(park, recordDelivery: false)
        case .restartNode(let index):
            if !nodes[index].up && !nodes[index].retired { try restart(nodes[index]) }
        case .restartHub:
            if !hubUp { try restartHub() }
        case .healPartition(let index):
            nodes[index].partitionedUntil = 0
        case .settleClone(let index):
            try settleClone(nodes[index])
        case .backup(let index):
            let node = nodes[index]
            if node.up, !node.retired, let database = node.database {
                node.backupsTaken += 1
                let path = node.path + ".backup-\(node.backupsTaken)"
                _ = try database.backup(to: path)
                node.backups.append(path)
            }
            if faultsOn { schedule(Int64(4 + below(20)) * 3_600_000, .backup(index)) }
        case .hubBackup:
            if hubUp {
                hubBackupsTaken += 1
                let path = hubPath + ".backup-\(hubBackupsTaken)"
                _ = try hubDatabase.backup(to: path)
                hubBackups.append(path)
            }
            if faultsOn { schedule(Int64(4 + below(20)) * 3_600_000, .hubBackup) }
        case .fault:
            if faultsOn { try injectFault() }
            schedule(Int64(10 + below(80)) * 60_000, .fault)
        case .statusCheck:
            try checkStatusInvariant()
            schedule(60 * 60_000, .statusCheck)
        }
    }

    /// Starts whatever the node's engine says, and arranges to wake when a backoff ends.
    func drive(_ node: SimNode) throws {
        guard node.up else { return }
        let core = try core(node)
        for action in node.engine.next(now: local(node)) {
            let started = local(node)
            switch action {
            case .push(let afterSeq, let limit):
                guard let request = try core.pushRequest(afterSeq: afterSeq, limit: limit, now: started) else {
                    node.engine.handle(.nothingToPush, now: local(node))
                    continue
                }
                send(node, InFlight(action: action, request: request, started: started), .push(request), timeout: 30_000)
            case .pull(let since, let limit, let wait):
                send(
                    node, InFlight(action: action, request: nil, started: started), .pull(since: since, limit: limit, wait: wait),
                    timeout: Int64(wait + 30) * 1000)
            case .takeBack(let fromSeq):
                send(node, InFlight(action: action, request: nil, started: started), .own(fromSeq: fromSeq), timeout: 30_000)
            case .returnHub(let recovery, let afterSeq, let limit):
                let (request, through, more) = try core.returnRequest(recovery: recovery, afterSeq: afterSeq, limit: limit)
                send(
                    node, InFlight(action: action, request: nil, started: started, returning: (request, through, more)), .returnHub(request),
                    timeout: 30_000)
            }
        }
        if let wake = node.engine.wakeUp(now: local(node)) {
            let at = wake - node.skew
            if node.wakeAt == nil || at < (node.wakeAt ?? .max) {
                node.wakeAt = at
                schedule(at - now, .wake(node.index))
            }
        }
    }

    func latency() -> Int64 {
        if faultsOn && chance(4) {
            count(.delay)
            return Int64(2_000 + below(40_000))
        }
        return Int64(20 + below(300))
    }

    /// Sends a request over the simulated link, with the faults the link may add.
    func send(_ node: SimNode, _ flight: InFlight, _ payload: Payload, timeout: Int64) {
        nextID += 1
        let message = Message(node: node.index, id: nextID, incarnation: node.incarnation)
        node.inFlight[message.id] = flight
        schedule(timeout, .timeout(message))
        if node.partitionedUntil > now {
            schedule(Int64(5 + below(50)), .atNode(message, .failure(.unreachable("the link is down"))))
            return
        }
        transmit(.atHub(message, payload), drop: (.dropRequest, 3), duplicate: (.duplicateRequest, 3))
    }

    /// Sends an answer back, with the faults the link may add.
    func reply(_ message: Message, _ answer: Answer, applied: Bool) {
        if nodes[message.node].partitionedUntil > now { return }
        // A push's answer lost after it was stored, a pull's after the hub recorded delivery. An
        // answer that changed nothing at the hub is not dropped: to the node that is a dropped request.
        transmit(.atNode(message, answer), drop: applied ? (.dropResponse, 4) : nil, duplicate: (.duplicateResponse, 2))
    }

    /// One message on the link: lost (`drop`'s percent), or delivered after `latency()` and maybe
    /// once more a little later (`duplicate`'s percent). The draws happen only while faults are on.
    func transmit(_ delivery: Occurrence, drop: (kind: FaultKind, percent: Int)?, duplicate: (kind: FaultKind, percent: Int)) {
        if let drop, faultsOn && chance(drop.percent) {
            count(drop.kind)
            return
        }
        schedule(latency(), delivery)
        if faultsOn && chance(duplicate.percent) {
            count(duplicate.kind)
            schedule(latency() + Int64(below(5_000)), delivery)
        }
    }

    func arriveAtHub(_ message: Message, _ payload: Payload) throws {
        guard hubUp else {
            // Connection refused: the node hears at once.
            schedule(Int64(5 + below(30)), .atNode(message, .failure(.unreachable("connection refused"))))
            return
        }
        let node = nodes[message.node]
        do {
            let who = try hub.authenticate(credential: node.credential)
            switch payload {
            case .push(let request):
                let response = try hub.push(request, node: who, now: hubLocal)
                for (batch, result) in zip(request.batches, response.results) where result.outcome == .stored || result.outcome == .duplicate {
                    for event in batch.events where event.seq <= result.head.seq {
                        let key = DossierFold.id(origin: event.origin, seq: event.seq)
                        if acknowledged[key] == nil { acknowledgedOrder.append(key) }
                        acknowledged[key] = acknowledged[key] ?? event.hash
                    }
                }
                reply(message, .push(response), applied: true)
                try wakeParkedPulls()
            case .pull(let since, let limit, let wait):
                let page = try hub.pull(node: who, since: since, limit: limit, now: hubLocal)
                if page.entries.isEmpty && wait > 0 {
                    nextID += 1
                    parked[nextID] = Parked(message: message, since: since, limit: limit)
                    schedule(Int64(wait) * 1000, .longPollEnd(nextID))
                } else {
                    reply(message, .pull(page), applied: true)
                }
            case .own(let fromSeq):
                var own = try hub.own(node: who, fromSeq: fromSeq, limit: 500)
                while let last = own.events.last, last.seq < own.head.seq {
                    let page = try hub.own(node: who, fromSeq: last.seq + 1, limit: 500)
                    guard !page.events.isEmpty else { break }
                    own.append(page)
                }
                reply(message, .own(own), applied: false)
            case .returnHub(let request):
                let response = try hub.takeBack(request, node: who, now: hubLocal)
                reply(message, .returned(response), applied: true)
                try wakeParkedPulls()
            }
        } catch let error as HubError {
            reply(message, .failure(.status(Int(error.status.code), error.body)), applied: false)
        }
    }

    /// Answers the parked long-polls whose feed has grown.
    func wakeParkedPulls() throws {
        for id in parked.keys.sorted() {
            guard let park = parked[id] else { continue }
            let node = nodes[park.message.node]
            if try hubDatabase.feedEnd(node: node.origin) > park.since {
                parked.removeValue(forKey: id)
                try answerPull(park, recordDelivery: false)
            }
        }
    }

    func answerPull(_ park: Parked, recordDelivery: Bool) throws {
        let node = nodes[park.message.node]
        do {
            let page = try hub.pull(node: node.origin, since: park.since, limit: park.limit, now: hubLocal, recordDelivery: recordDelivery)
            reply(park.message, .pull(page), applied: true)
        } catch {
            reply(park.message, .failure(.status(Int(error.status.code), error.body)), applied: false)
        }
    }

    func arriveAtNode(_ message: Message, _ answer: Answer) throws {
        let node = nodes[message.node]
        guard node.up, node.incarnation == message.incarnation, let flight = node.inFlight.removeValue(forKey: message.id) else { return }
        let core = try core(node)
        let at = local(node)
        var results: [SyncEngine.Result] = []
        do {
            switch (answer, flight.action) {
            case (.push(let response), .push):
                guard let request = flight.request else { return }
                results = try core.pushed(response, request: request, started: flight.started, now: at)
            case (.pull(let page), .pull(let since, _, _)):
                results = try core.pulled(page, since: since, started: flight.started, now: at, wallMilliseconds: { UInt64(max(0, self.local(node))) })
            case (.own(let own), .takeBack(let fromSeq)):
                results = try core.heal(own, fromSeq: fromSeq, started: flight.started, wallMilliseconds: { UInt64(max(0, self.local(node))) }, now: at)
            case (.returned(let response), .returnHub):
                guard let returning = flight.returning else { return }
                results = try core.returned(
                    response, request: returning.request, throughSeq: returning.throughSeq, more: returning.more, started: flight.started, now: at)
            case (.failure(let error), _):
                try fail(node, flight, error)
                return
            default:
                throw HarnessError(description: "answer and request do not match")
            }
        } catch let error as HubClientError {
            try fail(node, flight, error)
            return
        }
        for result in results { node.engine.handle(result, now: local(node)) }
        try drive(node)
    }

    func fail(_ node: SimNode, _ flight: InFlight, _ error: HubClientError) throws {
        let core = try core(node)
        switch flight.action {
        case .push:
            core.recordFailure("push", started: flight.started, now: local(node), error: error)
            node.engine.handle(.pushFailed(error.failure), now: local(node))
        case .pull:
            core.recordFailure("pull", started: flight.started, now: local(node), error: error)
            node.engine.handle(.pullFailed(error.failure), now: local(node))
        case .takeBack:
            core.recordFailure("push", started: flight.started, now: local(node), error: error)
            node.engine.handle(.healFailed(error.failure), now: local(node))
        case .returnHub:
            core.recordFailure("push", started: flight.started, now: local(node), error: error)
            node.engine.handle(.returnFailed(error.failure), now: local(node))
        }
        try drive(node)
    }

    // MARK: Crashes and restores

    func crash(_ node: SimNode) {
        node.up = false
        node.incarnation += 1
        node.inFlight = [:]
        node.wakeAt = nil
        node.database = nil
    }

    func restart(_ node: SimNode) throws {
        node.database = try NodeDatabase(path: node.path)
        node.up = true
        node.engine = try makeEngine(node)
        schedule(0, .beat(node.index))
        try drive(node)
    }

    func restartHub() throws {
        hubDatabase = try HubDatabase(path: hubPath)
        hub = Self.makeHub(database: hubDatabase, identity: hubIdentity, key: hubKey, topology: topology, workflow: hubWorkflow, seed: random.next())
        hubUp = true
    }

    /// Replaces a crashed node's files with its last backup.
    func restoreFromBackup(_ node: SimNode) throws {
        guard let backup = node.backups.last else { return }
        let fileManager = FileManager.default
        for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: node.path + suffix) }
        try fileManager.copyItem(atPath: backup, toPath: node.path)
        // What the clerk saved after the backup is gone with the disk; the rest must survive.
        let kept = try Set(NodeDatabase(path: backup).events(origin: node.origin, fromSeq: 1).map(\.hash))
        node.saved.removeAll { !kept.contains($0.hash) }
        count(.restoreNode)
        try forgetDoublyLost()
    }

    /// Stops the hub and restores its last backup as its operator would (`hub restore`), then
    /// starts it again a little later. Notes what the restore lost that nodes must bring back.
    func restoreHubFromBackup() throws {
        // Not while a clone is unsettled: a hub that forgets part of two machines' interleaved
        // histories cannot tell the kept machine from the fenced one any more (README, known limits).
        let unsettledClone = nodes.contains { twin in twin.twinOf.map { !twin.retired && !nodes[$0].retired } ?? false }
        guard hubUp, !unsettledClone, let backup = hubBackups.last else { return }
        count(.restoreHub)
        hubRestoredAt = now
        hubUp = false
        parked = [:]
        let summary = try HubDatabase.restoreHub(backup: backup, path: hubPath, now: hubLocal)
        let restored = try HubDatabase(path: hubPath)
        var held: [String: String] = [:]
        for event in try restored.eventIdentities() { held[DossierFold.id(origin: event.origin, seq: event.seq)] = event.hash }
        for key in acknowledgedOrder where held[key] != acknowledged[key] { lostByHubRestore.insert(key) }
        for node in nodes where !node.retired {
            let database = try node.database ?? NodeDatabase(path: node.path)
            for event in try database.events(origin: hubIdentity.origin, fromSeq: summary.ownHead + 1) {
                let key = DossierFold.id(origin: event.origin, seq: event.seq)
                if hubHeldAtRestore[key] == nil { hubHeldOrder.append(key) }
                hubHeldAtRestore[key] = event.hash
            }
        }
        try forgetDoublyLost()
        schedule(Int64(1 + below(30)) * 60_000, .restartHub)
    }

    /// What two restores took together is gone: an acknowledged event the hub's restore lost and
    /// its node's restore lost too, or a hub event only a restored node held. Neither can come
    /// back, so the invariants stop expecting it.
    func forgetDoublyLost() throws {
        guard !lostByHubRestore.isEmpty || !hubHeldAtRestore.isEmpty else { return }
        var everywhere: Set<String> = Set(try HubDatabase(path: hubPath).eventIdentities().map(\.hash))
        for node in nodes where !node.retired {
            let database = try node.database ?? NodeDatabase(path: node.path)
            everywhere.formUnion(try database.eventIdentities().map(\.hash))
        }
        for key in lostByHubRestore.sorted() where !everywhere.contains(acknowledged[key] ?? "") {
            acknowledged[key] = nil
            acknowledgedOrder.removeAll { $0 == key }
            lostByHubRestore.remove(key)
        }
        for key in hubHeldOrder where !everywhere.contains(hubHeldAtRestore[key] ?? "") {
            hubHeldAtRestore[key] = nil
        }
        hubHeldOrder.removeAll { hubHeldAtRestore[$0] == nil }
    }

    func injectFault() throws {
        let roll = below(100)
        let node = nodes[below(nodes.count)]
        guard !node.retired else { return }
        switch roll {
        case 0..<4:
            try cloneMachine(node)
        case 4..<30:
            guard node.partitionedUntil <= now else { return }
            count(.partition)
            let length = Int64(10 + below(3 * 60)) * 60_000
            node.partitionedUntil = now + length
            schedule(length, .healPartition(node.index))
        case 30..<60:
            guard node.up else { return }
            count(.crashNode)
            crash(node)
            schedule(Int64(1 + below(90)) * 60_000, .restartNode(node.index))
        case 76..<80 where options.hubRestores:
            try restoreHubFromBackup()
        case 60..<80:
            guard hubUp else { return }
            count(.crashHub)
            hubUp = false
            parked = [:]
            schedule(Int64(1 + below(30)) * 60_000, .restartHub)
        default:
            guard node.up, !node.backups.isEmpty else { return }
            crash(node)
            try restoreFromBackup(node)
            schedule(Int64(5 + below(120)) * 60_000, .restartNode(node.index))
        }
    }

    // MARK: Clones

    /// Copies `node`'s disk to a second machine that writes as the same origin (DESIGN §5's
    /// clone): same key, credential and epoch, its own clerk. One clone per run.
    func cloneMachine(_ node: SimNode) throws {
        guard node.up, node.twinOf == nil, !nodes.contains(where: { $0.twinOf != nil }), let database = node.database else { return }
        let path = node.path + ".clone"
        _ = try database.backup(to: path)
        let twin = SimNode(
            index: nodes.count, origin: node.origin, agency: node.agency, office: node.office, path: path, key: node.key, workflow: node.workflow,
            link: node.link, credential: node.credential, database: try NodeDatabase(path: path), seed: random.next())
        twin.twinOf = node.index
        twin.skew = node.skew + Int64(below(600_001)) - 300_000
        twin.saved = node.saved
        nodes.append(twin)
        twin.engine = try makeEngine(twin)
        count(.cloneNode)
        schedule(Int64(below(600_000)), .clerk(twin.index))
        schedule(0, .beat(twin.index))
        try drive(twin)
        // The district notices within a few hours (a suspicion in `hub status`) and settles it.
        schedule(Int64(1 + below(6)) * 3_600_000, .settleClone(twin.index))
    }

    /// The hub's operator at work on a clone, every half hour to the end of the run: the copy's
    /// clerk stops; whenever the hub suspects a clone and each live machine's epoch shows in
    /// `hub fork list`, the operator keeps one machine (chosen by the seed) with `hub fork resolve
    /// --keep` and switches the other off. A copy the hub never suspected (its pushes looked like a
    /// restore and healed) is switched off once it has nothing left to push; a suspicion that
    /// opens after that (the original's history against the copy's) keeps the original.
    func settleClone(_ twin: SimNode) throws {
        guard let originalIndex = twin.twinOf else { return }
        schedule(30 * 60_000, .settleClone(twin.index))
        let original = nodes[originalIndex]
        if !twin.retired { twin.clerkStopped = true }
        let live = [original, twin].filter { !$0.retired }
        guard let suspicion = try hubDatabase.cloneSuspicions(openOnly: true).first(where: { $0.origin == twin.origin }) else {
            if live.count == 2, twin.up, twin.engine.pending == 0, !twin.engine.healing, twin.engine.heldAsClone == nil { retire(twin) }
            return
        }
        var epochs: [String] = []
        var shown: [String] = []
        for machine in live {
            if let epoch = try machine.database?.identity()?.epoch {
                epochs.append(epoch)
                if suspicion.sides.contains(where: { $0.epoch == epoch }) { shown.append(epoch) }
            }
        }
        guard shown.count == live.count, Set(shown).count == shown.count else {
            // Both machines write in one epoch (one was restored from a backup taken before the
            // clone), or one has pushed nothing since it healed: no epoch tells them apart. After
            // two hours the operator keeps the epoch that shows; the machines then diverge again
            // and the diverged one heals into an epoch of its own.
            twin.settleWaits += 1
            if options.trace { print("  waits (\(twin.settleWaits)): machines' epochs \(epochs), held sides \(suspicion.sides.map(\.epoch))") }
            // Never while a machine is down: its epoch is unknown, and it must not be fenced by accident.
            guard twin.settleWaits >= 4, epochs.count == live.count, let keep = shown.first ?? suspicion.currentEpoch else { return }
            twin.settleWaits = 0
            try hub.resolveClone(origin: twin.origin, keep: keep, by: "vh-hethong", now: hubLocal, closeOnly: true)
            if options.trace { print("  kept \(keep) to let the machines diverge again") }
            return
        }
        twin.settleWaits = 0
        let keep = live.count == 2 && random.next() % 2 == 0 ? 1 : 0
        let settled = try hub.resolveClone(origin: twin.origin, keep: shown[keep], by: "vh-hethong", now: hubLocal)
        if options.trace {
            print(
                "  kept \(live[keep] === twin ? "the copy" : "the original")'s epoch \(settled.keptEpoch ?? ""), fenced \(settled.fencedEpochs); "
                    + "sides \(settled.sides.map { "\($0.epoch) stored \($0.stored) held \($0.held)" })")
        }
        for (index, machine) in live.enumerated() where index != keep { retire(machine) }
        // A backup from before the settlement may carry a fenced epoch (the one both machines
        // shared): restored, it would be fenced too, and the office would need `hub enroll
        // --replace` and `node recover`. The operator takes fresh backups from here on.
        live[keep].backups = []
        // The hub's backups from before the settlement would forget it (and its fence) when
        // restored: a fresh one is taken at the next backup time.
        hubBackups = []
        if live[keep] === twin, twin.clerkStopped {
            twin.clerkStopped = false
            schedule(Int64(below(600_000)), .clerk(twin.index))
        }
    }

    /// Switches a machine off for good: its files stay, as evidence.
    func retire(_ node: SimNode) {
        crash(node)
        node.retired = true
    }
}
