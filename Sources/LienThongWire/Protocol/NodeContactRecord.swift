import Foundation

/// What a node said about itself at a contact: its head seq, and its clock minus the hub's.
public struct NodeContactRecord: Sendable, Hashable {
    public var head: Int?
    public var skewMs: Int64?

    public init(head: Int? = nil, skewMs: Int64? = nil) {
        self.head = head
        self.skewMs = skewMs
    }

    /// From the request headers' text (`LienThong-Head`, `LienThong-Clock`); anything unreadable is
    /// left out: a contact is advice, never a reason to refuse a request.
    public init(head: String?, clock: String?, now: Int64) {
        self.head = head.flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
        self.skewMs = clock.flatMap { Int64($0) }.flatMap { NodeContactRecord.skew(remote: $0, local: now) }
    }

    /// `remote − local` for two Unix-millisecond clocks, or nil when `remote` is not a plausible
    /// clock (before 2000 or after 2100): a peer's header must never crash or mislead the reader.
    public static func skew(remote: Int64, local: Int64) -> Int64? {
        guard (946_684_800_000...4_102_444_800_000).contains(remote) else { return nil }
        let (difference, overflow) = remote.subtractingReportingOverflow(local)
        return overflow ? nil : difference
    }
}
