import Foundation
import GRDB
import LienThongCore

extension NodeDatabase {
    /// The hub's own events this node holds after `afterSeq` (at most `limit`, in seq order), and
    /// the stored feed pages that carried them here: what a hub restored from a backup needs to
    /// take its lost events back (DESIGN §5). The events run without a gap from `afterSeq + 1` and
    /// stop at the first one this node lacks or holds no stored page for (the hub could not tell it
    /// from a forgery). A node holds only the hub's events on dossiers it sees, so a restored hub
    /// takes its chain back from several nodes in turns, each continuing from the hub's new head.
    public func hubEventsToReturn(hub: String, afterSeq: Int, limit: Int) throws(StoreError) -> (events: [Event], pages: [PageSignature.SignedPage]) {
        try snapshot("read the hub's events to return") { db in
            guard let node = try Self.fetchIdentity(db)?.origin else { throw StoreError.missingIdentity }
            let events = try Data.fetchAll(
                db, sql: "SELECT canonical FROM event WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?", arguments: [hub, afterSeq, limit]
            ).map { try Self.decodeStored($0) }
            var kept: [Event] = []
            var pages: [Int: PageSignature.SignedPage] = [:]
            for event in events {
                guard event.seq == (kept.last?.seq ?? afterSeq) + 1,
                    let position = try Int.fetchOne(
                        db, sql: "SELECT position FROM feedEntry WHERE origin = ? AND seq = ? AND hash = ?", arguments: [hub, event.seq, event.hash]),
                    let page = try Row.fetchOne(
                        db, sql: "SELECT upTo, since, hubEpoch, signature FROM feedPage WHERE since < ? AND upTo >= ? ORDER BY upTo LIMIT 1",
                        arguments: [position, position])
                else { break }
                let upTo: Int = page["upTo"]
                if pages[upTo] == nil {
                    pages[upTo] = PageSignature.SignedPage(
                        hubEpoch: page["hubEpoch"], summary: try Self.fetchPageSummary(db, node: node, since: page["since"], upTo: upTo),
                        signature: page["signature"])
                }
                kept.append(event)
            }
            return (kept, pages.keys.sorted().compactMap { pages[$0] })
        }
    }

    /// The summary of the stored feed page `(since, upTo]` of `node`'s feed: its entries as stored.
    static func fetchPageSummary(_ db: Database, node: String, since: Int, upTo: Int) throws -> PageSignature.Summary {
        let entries = try Row.fetchAll(
            db, sql: "SELECT position, origin, seq, hash FROM feedEntry WHERE position > ? AND position <= ? ORDER BY position", arguments: [since, upTo]
        ).map { PageSignature.Entry(position: $0["position"], origin: $0["origin"], seq: $0["seq"], hash: $0["hash"]) }
        return PageSignature.Summary(node: node, since: since, to: upTo, entries: entries)
    }
}
