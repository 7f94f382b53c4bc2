import Foundation
import Synchronization

/// Limits citizen lookups per client address: a token bucket of `perMinute` lookups, refilled
/// continuously; past it a client gets 429 with the seconds to wait. Every lookup counts — found,
/// not found or malformed — so guessing ID digits costs the same as asking. Addresses not heard
/// from for ten minutes are forgotten, so the table stays small.
public final class LookupLimiter: Sendable {
    public let perMinute: Int
    private struct Bucket {
        var tokens: Double
        var at: Int64
    }
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(perMinute: Int = 10) { self.perMinute = max(1, perMinute) }

    /// Takes one lookup for `client` at `now` (Unix ms): nil when allowed, else the seconds to wait.
    public func take(client: String, now: Int64) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > 10_000 { buckets = buckets.filter { now - $0.value.at < 600_000 } }
            let rate = Double(perMinute) / 60_000
            var bucket = buckets[client] ?? Bucket(tokens: Double(perMinute), at: now)
            bucket.tokens = min(Double(perMinute), bucket.tokens + Double(max(0, now - bucket.at)) * rate)
            bucket.at = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return Int(((1 - bucket.tokens) / rate / 1000).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }
}
