import Foundation
import GRDB
import LienThongCore

/// A page of the hub's own events a node returns to a hub restored from a backup.
public struct HubEventsToReturn: Sendable, Hashable {
    /// The events, each proven by one of `pages`.
    public var events: [Event]
    public var pages: [PageSignature.SignedPage]
    /// The last seq looked at: the next page starts after it.
    public var throughSeq: Int
    /// Whether more of the hub's events may follow `throughSeq`.
    public var more: Bool
}

extension NodeDatabase {
    /// The hub's own events this node holds after `afterSeq` (at most `limit` looked at, in seq
    /// order), and the stored feed pages that carried them here: what a hub restored from a backup
    /// needs to take its lost events back (DESIGN §5). An event this node holds no stored page for
    /// is left out (the hub could not tell it from a forgery). A node holds only the hub's events on
    /// dossiers it sees, so the run may have gaps; the hub chains what continues its head and holds
    /// the rest aside until another node returns what comes before.
    public func hubEventsToReturn(hub: String, afterSeq: Int, limit: Int) throws(StoreError) -> HubEventsToReturn {
        try snapshot("read the hub's events to return") { db in
            guard let node = try Self.fetchIdentity(db)?.origin else { throw StoreError.missingIdentity }
            let events = try Data.fetchAll(
                db, sql: "SELECT canonical FROM event WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?", arguments: [hub, afterSeq, limit]
            ).map { try Self.decodeStored($0) }
            var kept: [Event] = []
            var pages: [Int: PageSignature.SignedPage] = [:]
            for event in events {
                guard
                    let position = try Int.fetchOne(
                        db, sql: "SELECT MAX(position) FROM feedEntry WHERE origin = ? AND seq = ? AND hash = ?", arguments: [hub, event.seq, event.hash]),
                    let page = try Row.fetchOne(
                        db, sql: "SELECT upTo, since, hubEpoch, signature FROM feedPage WHERE since < ? AND upTo >= ? ORDER BY upTo LIMIT 1",
                        arguments: [position, position])
                else { continue }
                let upTo: Int = page["upTo"]
                if pages[upTo] == nil {
                    pages[upTo] = PageSignature.SignedPage(
                        hubEpoch: page["hubEpoch"], summary: try Self.fetchPageSummary(db, node: node, since: page["since"], upTo: upTo),
                        signature: page["signature"])
                }
                kept.append(event)
            }
            return HubEventsToReturn(
                events: kept, pages: pages.keys.sorted().compactMap { pages[$0] }, throughSeq: events.last?.seq ?? afterSeq, more: events.count == limit)
        }
    }

    /// The highest seq of `hub`'s own events this node holds (0 for none): told to the hub with
    /// every pull, so a hub restored from a backup knows who holds what it lost.
    public func heldHubSeq(hub: String) throws(StoreError) -> Int {
        try snapshot("read the hub's head as held here") { db in
            try Self.fetchHead(db, origin: hub)?.seq ?? 0
        }
    }
}
