import LienThongCore
import LienThongStore
import LienThongWire

/// The reads and writes of one hub write transaction (DESIGN §5, §10): the hub service composes
/// them with the protocol's pure checks, so a decision and the writes that follow it see the same
/// heads. A store runs the whole of a ``HubStore/transaction(_:_:)`` atomically and serialised
/// against every other write to the same origins and feeds; nothing of it is kept if it throws.
///
/// Each operation is small and named for what the hub does; none decides. Positions are the
/// store's arrival order of events; feed positions are per node, 1, 2, 3 …
public protocol HubTransaction {
    // MARK: Chains and keys

    /// The hub's head for `origin`: its last seq, hash, hlc and the epoch it was written in.
    func head(origin: String) throws -> (seq: Int, hash: String, hlc: HLC, epoch: String)?
    /// The hash and hlc of `origin`'s event `seq`, if held.
    func held(origin: String, seq: Int) throws -> (hash: String, hlc: HLC)?
    /// `origin`'s public key (hex) for `epoch`.
    func publicKey(origin: String, epoch: String) throws -> String?
    /// The public key of the epoch `origin`'s newest stored event was written in.
    func currentKey(origin: String) throws -> String?
    /// The key the hub pinned for `origin` when it holds no event of it to go by: the one public
    /// key all of the origin's known epochs share (nil for none, or for several).
    func enrolledKey(origin: String) throws -> String?
    /// Records `origin`'s new epoch under `publicKey`.
    func addEpoch(origin: String, epoch: String, publicKey: String) throws
    /// The hashes `origin`'s events name in `replaces` (a healed fork re-appended those events).
    func replacedHashes(origin: String) throws -> Set<String>
    /// Stores verified events of another origin and the checkpoint that signs the last of them;
    /// `stored`, when given, holds each event's ``Event/storedBytes``. Returns their positions.
    func store(_ events: [Event], stored: [[UInt8]]?, checkpoint: Checkpoint) throws -> [Int]
    /// Appends `drafts` as the hub's own events (its decisions), signed with `key`. Refused while a
    /// recovery is open, unless `finishingRecovery`. Returns the events and their positions.
    func appendOwn(
        _ drafts: [EventDraft], key: SigningKey, wallMilliseconds: () -> UInt64, validator: EventValidator, finishingRecovery: Bool
    ) throws -> [(position: Int, event: Event)]
    /// Moves the hub's own clock past `hlc`.
    func advanceClock(past hlc: HLC) throws

    // MARK: Clones (DESIGN §5)

    /// `origin`'s open clone suspicion, whether `epoch` is fenced, whether any epoch of it is.
    func guards(origin: String, epoch: String) throws -> (suspicion: Int?, epochFenced: Bool, anyFenced: Bool)
    /// Opens a clone suspicion of `origin` and returns its id.
    func openCloneSuspicion(origin: String, epoch: String, divergedAt: Int, reason: String, now: Int64) throws -> Int
    /// Keeps `events` (chained and verified, not stored) as evidence of suspicion `id`.
    func holdAsEvidence(_ events: [Event], suspicion id: Int, now: Int64) throws
    /// Whether the operator fenced `origin`'s `epoch`.
    func isFenced(origin: String, epoch: String) throws -> Bool
    /// `origin`'s open clone suspicion with its sides, as `hub fork list` shows it.
    func openSuspicion(origin: String) throws -> CloneSuspicion?
    /// Fences `origin`'s `epoch`: its pushes answer `epoch-fenced` from now on.
    func fence(origin: String, epoch: String) throws
    /// Closes suspicion `id`: who settled it, when, the epoch kept and the epochs fenced.
    func settleSuspicion(_ id: Int, keptEpoch: String, fenced: [String], by operatorName: String, now: Int64) throws

    // MARK: Routing and feeds

    /// Marks a stored event quarantined: kept, but neither delivered nor folded.
    func quarantine(position: Int, reason: String) throws
    /// The origins that may see and touch `dossier`.
    func audience(of dossier: String) throws -> Set<String>
    /// Adds `origin` to `dossier`'s audience.
    func addAudience(dossier: String, origin: String) throws
    /// Appends events, by their positions, to the end of `node`'s feed at `now`.
    func appendToFeed(node: String, eventPositions: [Int], now: Int64) throws
    /// After a restore, `node`'s feed continues after `position`.
    func rebaseFeed(node: String, after position: Int) throws
    /// Every node the hub knows.
    func nodes() throws -> [String]
    /// Marks `node` as heard from now, with what it said about itself.
    func touchNode(_ node: String, now: Int64, contact: NodeContactRecord) throws

    // MARK: Dossiers and the projector

    /// The stored, not quarantined events of `dossier`, in arrival order.
    func visibleEvents(ofDossier dossier: String) throws -> [(position: Int, event: Event)]
    /// Refolds `dossier` from `events` and replaces its projection rows.
    func refreshProjection(dossier: String, events: [Event]) throws -> DossierState
    /// How far the projector has folded (a position).
    func projectorPosition() throws -> Int
    /// Up to `limit` stored events after `position`, as (position, dossier), in arrival order.
    func stored(after position: Int, limit: Int) throws -> [(position: Int, dossier: String?)]
    /// Records that the projector has folded up to `position`.
    func setProjectorPosition(_ position: Int) throws
    /// This hub's publications of `kind`, newest first.
    func publications(_ kind: Publication.Kind) throws -> [Publication]
    /// `workflow` with the newest calendar and catalogue this hub published.
    func currentWorkflow(_ workflow: Workflow) throws -> Workflow

    // MARK: Recovery after a restore (DESIGN §5)

    /// The open recovery, if the hub is taking its own events back.
    func openRecovery() throws -> HubRecovery?
    /// Keeps proven returned events beyond the head as evidence; the first copy of a seq stays.
    func holdReturned(_ events: [Event], recovery: Int, node: String, now: Int64) throws
    /// The events held aside in `recovery` after `afterSeq`, by seq.
    func returned(recovery: Int, afterSeq: Int) throws -> [Event]
    /// Records that `node` has returned every event of the hub it holds (up to `held`).
    func reportReturned(recovery: Int, node: String, held: Int, now: Int64) throws
    /// Active nodes that have not reported returning everything.
    func waitingNodes(recovery: Int) throws -> [String]
    /// Closes `recovery`.
    func finishRecovery(_ id: Int, by: String, reappended: Int, now: Int64) throws
}

extension HubTransaction {
    /// Stores events whose stored form is computed here.
    public func store(_ events: [Event], checkpoint: Checkpoint) throws -> [Int] {
        try store(events, stored: nil, checkpoint: checkpoint)
    }

    /// Appends the hub's own events with the standard validator.
    public func appendOwn(
        _ drafts: [EventDraft], key: SigningKey, wallMilliseconds: () -> UInt64, finishingRecovery: Bool = false
    ) throws -> [(position: Int, event: Event)] {
        try appendOwn(drafts, key: key, wallMilliseconds: wallMilliseconds, validator: EventValidator(), finishingRecovery: finishingRecovery)
    }

    /// Marks `node` as heard from now, with nothing said about itself.
    public func touchNode(_ node: String, now: Int64) throws {
        try touchNode(node, now: now, contact: NodeContactRecord())
    }
}
