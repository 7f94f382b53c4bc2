import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import ServiceLifecycle

/// ``HubStore`` on one SQLite file (a ``HubDatabase``): the embedded default, for one `hub run`
/// process. Its operations are the database's; this type only says which ones make the store.
public struct SQLiteHubStore: HubStore {
    /// The database, for what is particular to SQLite (backup, restore) and for tests.
    public let database: HubDatabase
    public let changes = FeedNotifier()
    /// The clock `run()` ticks on, and how often it looks for other processes' commits.
    let clock: any Clock<Duration>
    let otherProcessesEvery: Duration
    let logger: Logger

    /// - Parameters:
    ///   - otherProcessesEvery: how often `run()` looks for events another process stored (a
    ///     decision written by `lienthong hub dossier …` while `hub run` serves): one read of the
    ///     newest position. Commits in this process wake waiters at once, without it.
    public init(
        _ database: HubDatabase, clock: any Clock<Duration> = ContinuousClock(), otherProcessesEvery: Duration = .milliseconds(50),
        logger: Logger = Logger(label: "lienthong.hub")
    ) {
        self.database = database
        self.clock = clock
        self.otherProcessesEvery = otherProcessesEvery
        self.logger = logger
    }

    /// Opens (creating if needed) the hub database file at `path`.
    public init(path: String) throws(StoreError) {
        self.init(try HubDatabase(path: path))
    }

    /// A new empty store in memory (for tests).
    public static func inMemory() throws(StoreError) -> SQLiteHubStore {
        SQLiteHubStore(try HubDatabase.inMemory())
    }

    /// Until the service group shuts down: bumps ``changes`` when another process has stored
    /// events in the file (SQLite tells no other connection of a commit, so it is looked for).
    public func run() async throws {
        let clock = clock  // the generic call opens the existential from a value
        await watchOtherProcesses(every: otherProcessesEvery, clock: clock, logger: logger)
    }

    public func transaction<T>(_ operation: String, _ work: (any HubTransaction) throws -> T) throws(StoreError) -> T {
        var touched = false
        let result = try database.immediateTransaction(operation) { db in
            let transaction = SQLiteHubTransaction(db: db)
            let result = try work(transaction)
            touched = transaction.touched.feeds
            return result
        }
        // After the commit: a waiter woken now reads what was committed.
        if touched { changes.bump() }
        return result
    }

    public func identity() throws(StoreError) -> LocalIdentity? { try database.identity() }

    public func addEnrolmentToken(node: String, tokenHash: String, now: Int64, expiresAt: Int64, replace: Bool) throws(StoreError) -> Bool {
        try database.addEnrolmentToken(node: node, tokenHash: tokenHash, now: now, expiresAt: expiresAt, replace: replace)
    }

    public func redeemEnrolment(
        node: String, tokenHash: String, epoch: String, publicKey: String, credentialHash: String, now: Int64
    ) throws(StoreError) -> Result<Void, EnrolmentRefusal> {
        let outcome = try database.redeemEnrolment(
            node: node, tokenHash: tokenHash, epoch: epoch, publicKey: publicKey, credentialHash: credentialHash, now: now)
        // A new node's feed starts with the hub's current publications.
        if case .success = outcome { changes.bump() }
        return outcome
    }

    public func node(credentialHash: String) throws(StoreError) -> (node: String, revokedAt: Int64?)? {
        try database.node(credentialHash: credentialHash)
    }

    public func revokeNode(_ node: String, now: Int64) throws(StoreError) -> Bool { try database.revokeNode(node, now: now) }

    public func feedEnd(node: String) throws(StoreError) -> Int { try database.feedEnd(node: node) }

    public func feed(node: String, since: Int, limit: Int) throws(StoreError) -> FeedSlice {
        try database.feed(node: node, since: since, limit: limit)
    }

    public func rebaseFeed(node: String, after since: Int) throws(StoreError) -> Int {
        let end = try database.rebaseFeed(node: node, after: since)
        changes.bump()
        return end
    }

    public func recordPull(node: String, since: Int, now: Int64, contact: NodeContactRecord) throws(StoreError) {
        try database.recordPull(node: node, since: since, now: now, contact: contact)
    }

    public func events(origin: String, fromSeq: Int, limit: Int) throws(StoreError) -> [Event] {
        try database.events(origin: origin, fromSeq: fromSeq, limit: limit)
    }

    public func head(origin: String) throws(StoreError) -> (seq: Int, hash: String)? { try database.head(origin: origin) }

    public func checkpoints(origin: String, seqs: ClosedRange<Int>) throws(StoreError) -> [Checkpoint] {
        try database.checkpoints(origin: origin, seqs: seqs)
    }

    public func originKeys(origin: String) throws(StoreError) -> [String: String] { try database.originKeys(origin: origin) }

    public func pullHeads(node: String, hub: String) throws(StoreError) -> (stored: Int, hubHead: Int, recovery: Int?) {
        try database.pullHeads(node: node, hub: hub)
    }

    public func projectorProgress() throws(StoreError) -> (projected: Int, stored: Int) { try database.projectorProgress() }

    public func lastEventPosition() throws(StoreError) -> Int { try database.lastEventPosition() }

    public func dossier(_ code: String) throws(StoreError) -> DossierState? { try database.dossier(code) }

    public func quarantined() throws(StoreError) -> [(event: Event, reason: String)] { try database.quarantined() }

    public func beat(now: Int64, pid: Int32, intervalMs: Int64) throws(StoreError) { try database.beat(now: now, pid: pid, intervalMs: intervalMs) }

    public func statusFacts(now: Int64) throws(StoreError) -> HubStatusFacts { try database.hubStatusFacts(now: now) }

    public func nodeStatuses() throws(StoreError) -> [HubNodeStatus] { try database.hubNodeStatuses() }

    public func undelivered(dossier code: String) throws(StoreError) -> [(node: String, origin: String, seq: Int, type: String, at: Int64)] {
        try database.undelivered(dossier: code)
    }

    public func cloneSuspicions(openOnly: Bool) throws(StoreError) -> [CloneSuspicion] { try database.cloneSuspicions(openOnly: openOnly) }

    public func recovery() throws(StoreError) -> HubRecovery? { try database.hubRecovery() }
}
