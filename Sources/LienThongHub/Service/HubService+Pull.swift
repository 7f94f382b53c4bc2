import LienThongCore
import LienThongStore
import LienThongWire

extension HubService {
    /// The largest feed position a pull may name (a restored feed continues after it).
    static let maxFeedPosition = 1 << 40

    /// `GET /v1/sync/pull` for an authenticated `node`: the feed entries after `since`, signed.
    /// Asking from `since` records everything up to it as delivered (DESIGN §7), unless
    /// `recordDelivery` is false (the second read of a long-poll, which recorded it on arrival). An
    /// empty page is the adapter's cue to long-poll.
    public func pull(
        node: String, since: Int, limit: Int, now: Int64, contact: NodeContactRecord = NodeContactRecord(), recordDelivery: Bool = true
    ) throws(HubError) -> PullPage {
        guard since >= 0, since <= Self.maxFeedPosition else {
            throw .badRequest("since: expected a feed position from 0 to \(Self.maxFeedPosition); found \(since)")
        }
        guard limit >= 1 else { throw .badRequest("limit: expected at least 1; found \(limit)") }
        let slice: FeedSlice
        do {
            slice = try store.feed(node: node, since: since, limit: min(limit, caps.maxPullLimit))
        } catch {
            throw .store(error)
        }
        if since > slice.end {
            // Restored from a backup: the node holds positions this hub no longer has. Its feed
            // continues after them (none is ever reused); the node re-pushes from the head here.
            let head: ChainHead
            let end: Int
            do {
                end = try store.rebaseFeed(node: node, after: since)
                head = try store.head(origin: node).map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? .empty
            } catch {
                throw .store(error)
            }
            throw .hubBehind(feedEnd: end, head: head)
        }
        if recordDelivery {
            do {
                try store.recordPull(node: node, since: since, now: now, contact: contact)
            } catch {
                throw .store(error)
            }
        }
        let entries = slice.entries.map { FeedEntry(position: $0.position, event: $0.event) }
        // A page that holds every entry after `since` covers the feed to its end: after a restore
        // the feed continues past positions it no longer has, and the node must move past them.
        let complete = entries.count < min(limit, caps.maxPullLimit)
        let to = complete ? max(entries.last?.position ?? since, slice.end) : (entries.last?.position ?? since)
        let heads: (stored: Int, hubHead: Int, recovery: Int?)
        do {
            heads = try store.pullHeads(node: node, hub: identity.origin)
        } catch {
            throw .store(error)
        }
        var page = PullPage(
            node: node, hub: identity.origin, hubEpoch: identity.epoch, since: since, to: to, end: slice.end,
            entries: entries, signature: "", stored: heads.stored, hubHead: heads.hubHead, recovery: heads.recovery)
        do {
            page.signature = try PageSignature.sign(page.summary, key: key)
        } catch {
            throw .store(.malformedFile(path: "hub key", reason: error.description))
        }
        return page
    }

    /// `GET /v1/sync/own`: `node`'s own events as stored here, from `fromSeq`.
    public func own(node: String, fromSeq: Int, limit: Int) throws(HubError) -> OwnEvents {
        guard fromSeq >= 1 else { throw .badRequest("fromSeq: expected a seq ≥ 1; found \(fromSeq)") }
        guard limit >= 1 else { throw .badRequest("limit: expected at least 1; found \(limit)") }
        do {
            let events = try store.events(origin: node, fromSeq: fromSeq, limit: min(limit, caps.maxPullLimit))
            let head = try store.head(origin: node).map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? .empty
            // What proves them on a machine that never held the old keys: the checkpoints over
            // these seqs (each stored batch ends at one) and every epoch's public key.
            var checkpoints: [Checkpoint] = []
            if let last = events.last { checkpoints = try store.checkpoints(origin: node, seqs: fromSeq...last.seq) }
            return OwnEvents(origin: node, events: events, head: head, checkpoints: checkpoints, keys: try store.originKeys(origin: node))
        } catch {
            throw .store(error)
        }
    }

    /// The end of `node`'s feed (for long-polls: wait while it is not past `since`).
    public func feedEnd(node: String) throws(HubError) -> Int {
        do {
            return try store.feedEnd(node: node)
        } catch {
            throw .store(error)
        }
    }
}
