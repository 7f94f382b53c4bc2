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

    /// The operator settles `origin`'s open clone suspicion by keeping `epoch` (`hub fork
    /// resolve`). Every other epoch of the suspicion is fenced (its pushes answer `epoch-fenced`
    /// from now on); a kept epoch the chain does not hold yet is adopted under the origin's current
    /// key (the same machine's key, copied with its disk), so that machine's held batches enter the
    /// chain on its next push. The evidence stays.
    ///
    /// When the suspicion shows one epoch only (both machines write in it: neither has healed yet,
    /// or one was restored from a backup taken before the clone), keeping it fences nothing; that
    /// is refused unless `closeOnly` says the operator means it — the machines then diverge again
    /// and the diverged one heals into an epoch of its own.
    /// - Throws: ``StoreError/refused(_:)`` saying what to do when no suspicion is open, `epoch` is
    ///   not one of it, `epoch` was fenced by an earlier settlement, or nothing would be fenced
    ///   without `closeOnly`.
    @discardableResult
    public func resolveClone(origin: String, keep epoch: String, by operatorName: String, now: Int64, closeOnly: Bool = false) throws(StoreError)
        -> CloneSuspicion
    {
        try store.transaction("settle a suspected clone") { transaction in
            guard let suspicion = try transaction.openSuspicion(origin: origin) else {
                throw StoreError.refused("no suspected clone of \(origin) is open (see `lienthong hub fork list --all`)")
            }
            let epochs = suspicion.sides.map(\.epoch)
            guard epochs.contains(epoch) else {
                throw StoreError.refused("--keep: \(epoch) is not an epoch of \(origin)'s suspected clone; expected one of \(epochs.joined(separator: ", "))")
            }
            if try transaction.isFenced(origin: origin, epoch: epoch) {
                throw StoreError.refused(
                    "--keep: \(epoch) was fenced by an earlier settlement of \(origin); keep another epoch (\(epochs.filter { $0 != epoch }.joined(separator: ", ")))"
                )
            }
            let fenced = epochs.filter { $0 != epoch }
            if fenced.isEmpty && !closeOnly {
                throw StoreError.refused(
                    "only epoch \(epoch) shows for \(origin), so keeping it fences nothing: wait until each machine has synced (`lienthong status` "
                        + "on each prints its epoch) and `lienthong hub fork list` shows it, or pass --close-only to let the machines diverge again")
            }
            for other in fenced { try transaction.fence(origin: origin, epoch: other) }
            if try transaction.publicKey(origin: origin, epoch: epoch) == nil, let current = try transaction.currentKey(origin: origin) {
                try transaction.addEpoch(origin: origin, epoch: epoch, publicKey: current)
            }
            try transaction.settleSuspicion(suspicion.id, keptEpoch: epoch, fenced: fenced, by: operatorName, now: now)
            var settled = suspicion
            settled.resolvedAt = now
            settled.resolvedBy = operatorName
            settled.keptEpoch = epoch
            settled.fencedEpochs = fenced
            return settled
        }
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
