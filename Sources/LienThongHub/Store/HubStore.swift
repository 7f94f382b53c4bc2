import AsyncAlgorithms
import LienThongCore
import LienThongHTTP
import LienThongStore
import LienThongWire
import Logging
import ServiceLifecycle

/// Where the hub keeps what it holds (DESIGN §5, §10): the event log of every origin it serves,
/// the nodes and their credentials, one feed per node, clone suspicions, recoveries, and the
/// projection its operator reads. A role, not a database: ``SQLiteHubStore`` is the embedded one;
/// a PostgreSQL store shares one database between several hub processes.
///
/// The hub service decides; a store offers small operations, each one transaction, and
/// ``transaction(_:_:)`` for the ingest and the hub's own writes, whose reads and writes must see
/// one state. Every store passes the same contract suite (`HubStoreContract` in the tests).
///
/// A store is a `Service`: it runs in the hub's service group, so a store that holds connections
/// (a pool, a listener) opens and closes them with the process; the SQLite one only waits.
public protocol HubStore: Service, Sendable {
    /// Bumped after every commit that stored events or appended to a feed — in this process at
    /// once, and for commits by other processes sharing the store as soon as the store sees them
    /// (its `run()`). Long-polls and the projector wait on it.
    var changes: FeedNotifier { get }

    /// Runs `work` in one write transaction; nothing of it is kept if it throws.
    func transaction<T>(_ operation: String, _ work: (any HubTransaction) throws -> T) throws(StoreError) -> T

    // MARK: Identity, enrolment and credentials

    /// This hub's identity, or nil before `hub init`.
    func identity() throws(StoreError) -> LocalIdentity?
    /// Records a one-time enrolment token for `node` (by its SHA-256) and makes the node known. A
    /// node with an active credential gets one only with `replace`, which revokes it.
    /// - Returns: false, with nothing changed, when the node is enrolled and `replace` is false.
    func addEnrolmentToken(node: String, tokenHash: String, now: Int64, expiresAt: Int64, replace: Bool) throws(StoreError) -> Bool
    /// Redeems a one-time token: records the node's key for its epoch and its credential hash.
    func redeemEnrolment(
        node: String, tokenHash: String, epoch: String, publicKey: String, credentialHash: String, now: Int64
    ) throws(StoreError) -> Result<Void, EnrolmentRefusal>
    /// The node whose credential hashes to `credentialHash`, and when the operator revoked it.
    func node(credentialHash: String) throws(StoreError) -> (node: String, revokedAt: Int64?)?
    /// Revokes `node`'s credential and spends its unused tokens; whether it had an active one.
    func revokeNode(_ node: String, now: Int64) throws(StoreError) -> Bool

    // MARK: Feeds and chains

    /// The last position of `node`'s feed (0 when empty).
    func feedEnd(node: String) throws(StoreError) -> Int
    /// Up to `limit` entries of `node`'s feed after `since`, with the events, and the feed's end.
    func feed(node: String, since: Int, limit: Int) throws(StoreError) -> FeedSlice
    /// A pull from beyond the end of `node`'s feed (a restored hub): the feed continues after
    /// `since` from now on. Returns the feed's end.
    func rebaseFeed(node: String, after since: Int) throws(StoreError) -> Int
    /// Records that `node` pulled from `since` at `now`, and what it said about itself.
    func recordPull(node: String, since: Int, now: Int64, contact: NodeContactRecord) throws(StoreError)
    /// `origin`'s stored events from `fromSeq`, at most `limit`.
    func events(origin: String, fromSeq: Int, limit: Int) throws(StoreError) -> [Event]
    /// The head of `origin`'s chain as stored.
    func head(origin: String) throws(StoreError) -> (seq: Int, hash: String)?
    /// `origin`'s checkpoints with seqs in `seqs`.
    func checkpoints(origin: String, seqs: ClosedRange<Int>) throws(StoreError) -> [Checkpoint]
    /// `origin`'s public key for each epoch.
    func originKeys(origin: String) throws(StoreError) -> [String: String]
    /// For a pulled page: the hub's head for `node`'s origin, the hub's own head, the open recovery.
    func pullHeads(node: String, hub: String) throws(StoreError) -> (stored: Int, hubHead: Int, recovery: Int?)

    // MARK: The projector and what the operator reads

    /// How far the projector has folded, and the last stored position.
    func projectorProgress() throws(StoreError) -> (projected: Int, stored: Int)
    /// The newest stored event's position (0 for none).
    func lastEventPosition() throws(StoreError) -> Int
    /// The folded state of dossier `code` from its visible events, or nil.
    func dossier(_ code: String) throws(StoreError) -> DossierState?
    /// The quarantined events and why.
    func quarantined() throws(StoreError) -> [(event: Event, reason: String)]
    /// Records that `hub run` is alive, and how often it beats.
    func beat(now: Int64, pid: Int32, intervalMs: Int64) throws(StoreError)
    /// The facts of `hub status`.
    func statusFacts(now: Int64) throws(StoreError) -> HubStatusFacts
    /// Every node the hub serves, as `hub nodes` shows them.
    func nodeStatuses() throws(StoreError) -> [HubNodeStatus]
    /// The events of dossier `code` some node may see but has not pulled yet.
    func undelivered(dossier code: String) throws(StoreError) -> [(node: String, origin: String, seq: Int, type: String, at: Int64)]

    // MARK: Clones and recovery (DESIGN §5)

    /// The clone suspicions, open ones first, newest first.
    func cloneSuspicions(openOnly: Bool) throws(StoreError) -> [CloneSuspicion]
    /// The newest recovery (open or finished), if the hub was ever restored.
    func recovery() throws(StoreError) -> HubRecovery?
}

extension HubStore {
    /// Until the service group shuts down: bumps ``changes`` when another process has stored
    /// events (a decision written by `lienthong hub dossier …` while `hub run` serves, another hub
    /// process on the same database), looked for every `interval` as one read of the newest
    /// position. Commits in this process wake waiters at once, without it.
    func watchOtherProcesses<C: Clock<Duration>>(every interval: Duration, clock: C, logger: Logger) async {
        var last: Int?
        var failing = false
        for await _ in AsyncTimerSequence(interval: interval, clock: clock).cancelOnGracefulShutdown() {
            do {
                let store = self
                let newest = try await offloaded { try store.lastEventPosition() }
                if let previous = last, newest != previous { changes.bump() }
                last = newest
                failing = false
            } catch {
                // Once per run of failures, not at every tick.
                if !failing { logger.error("cannot read the newest event position", metadata: ["error": "\(error)"]) }
                failing = true
            }
        }
    }
}
