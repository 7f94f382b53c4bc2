import Foundation
import NIOConcurrencyHelpers

/// Limits citizen lookups per client: a token bucket of `perMinute` lookups, refilled
/// continuously; past it a client gets 429 with the seconds to wait. Every lookup counts — found,
/// not found or malformed — so guessing ID digits costs the same as asking. A client is its IPv4
/// address, or its IPv6 /64 (one subscriber's prefix: changing the last 64 bits buys nothing).
/// The table holds at most `maxClients` buckets; addresses not heard from for ten minutes are
/// dropped (at most once a minute), and while it is full every new address shares one bucket.
public final class LookupLimiter: Sendable {
    public let perMinute: Int
    public let maxClients: Int
    private let clock: @Sendable () -> Int64
    private struct Bucket {
        var tokens: Double
        var at: Int64
    }
    private struct Table {
        var buckets: [String: Bucket] = [:]
        var prunedAt: Int64 = 0
    }
    private let table = NIOLockedValueBox(Table())
    static let overflow = "(too many clients)"

    /// - Parameter clock: Unix ms; the wall clock unless a test fixes it.
    public init(perMinute: Int = 10, maxClients: Int = 50_000, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.perMinute = max(1, perMinute)
        self.maxClients = max(1, maxClients)
        self.clock = clock
    }

    /// The bucket's key for a client address: IPv4 as is, IPv6 by its first four groups (/64).
    public static func key(_ address: String) -> String {
        guard address.contains(":") else { return address }
        // An IPv4 client seen through an IPv6 socket (::ffff:192.0.2.1) is its IPv4 address.
        if address.contains("."), let last = address.split(separator: ":").last { return String(last) }
        var groups = address.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        // Expand "::" so the first four groups are the prefix.
        if let gap = groups.firstIndex(of: ""), groups.count < 8 {
            let missing = 8 - groups.filter { !$0.isEmpty }.count
            groups = groups[..<gap].filter { !$0.isEmpty } + Array(repeating: "0", count: missing) + groups[gap...].filter { !$0.isEmpty }
        }
        return groups.prefix(4).map { $0.lowercased() }.joined(separator: ":") + "::/64"
    }

    /// Takes one lookup for `client` (its address) now: nil when allowed, else the seconds to wait.
    public func take(client: String) -> Int? {
        let now = clock()
        let perMinute = perMinute
        let maxClients = maxClients
        return table.withLockedValue { table in
            if now - table.prunedAt >= 60_000 {
                table.buckets = table.buckets.filter { now - $0.value.at < 600_000 }
                table.prunedAt = now
            }
            var key = Self.key(client)
            if table.buckets[key] == nil, table.buckets.count >= maxClients { key = Self.overflow }
            let rate = Double(perMinute) / 60_000
            var bucket = table.buckets[key] ?? Bucket(tokens: Double(perMinute), at: now)
            bucket.tokens = min(Double(perMinute), bucket.tokens + Double(max(0, now - bucket.at)) * rate)
            bucket.at = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            table.buckets[key] = bucket
            return allowed ? nil : Int(((1 - bucket.tokens) / rate / 1000).rounded(.up))
        }
    }
}
