import LienThongCore
import LienThongStore
import Logging

/// What the district operator asks and settles (`lienthong hub …`, the operator's page): reads of
/// the store, and the operator's decisions about nodes and clones.
extension HubService {
    /// Revokes `node`'s credential (`hub revoke`): its next request is refused; what it stored stays.
    /// - Returns: whether it had an active credential.
    public func revoke(node: String, now: Int64) throws(StoreError) -> Bool { try store.revokeNode(node, now: now) }

    /// The clone suspicions, open ones first (`hub fork list`).
    public func cloneSuspicions(openOnly: Bool) throws(StoreError) -> [CloneSuspicion] { try store.cloneSuspicions(openOnly: openOnly) }

    /// Settles `origin`'s open clone suspicion by keeping `epoch` (`hub fork resolve`).
    /// - Throws: ``StoreError/refused(_:)`` with what to do when it cannot be settled so.
    public func resolveClone(origin: String, keep epoch: String, by operatorName: String, now: Int64, closeOnly: Bool = false) throws(StoreError)
        -> CloneSuspicion
    {
        try store.resolveClone(origin: origin, keep: epoch, by: operatorName, now: now, closeOnly: closeOnly)
    }

    /// The facts of `hub status`.
    public func statusFacts(now: Int64) throws(StoreError) -> HubStatusFacts { try store.statusFacts(now: now) }

    /// Every node, as `hub nodes` shows them.
    public func nodeStatuses() throws(StoreError) -> [HubNodeStatus] { try store.nodeStatuses() }

    /// The events of dossier `code` some office may see but has not pulled yet.
    public func undelivered(dossier code: String) throws(StoreError) -> [(node: String, origin: String, seq: Int, type: String, at: Int64)] {
        try store.undelivered(dossier: code)
    }

    /// How far the projector has folded, and the last stored position.
    public func projectorProgress() throws(StoreError) -> (projected: Int, stored: Int) { try store.projectorProgress() }

    /// The hub's projector as a service of `hub run`, over this service's store.
    public func projector(logger: Logger, clock: any Clock<Duration> = ContinuousClock()) -> ProjectorService {
        ProjectorService(store: store, logger: logger, clock: clock)
    }

    /// Bumped by the store after each commit that stored events or appended to a feed: what a
    /// waiting pull sleeps on.
    public var feedChanges: FeedNotifier { store.changes }
}
