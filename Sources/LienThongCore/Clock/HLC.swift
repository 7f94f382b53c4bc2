/// A hybrid logical clock timestamp: 48 bits of Unix milliseconds and a 16-bit counter, written as
/// 16 lowercase hex digits so that string order is time order.
///
/// HLCs order events that no `seen` relation orders (ties in the fold); causality itself is
/// carried by `seen`, never by the clock.
public struct HLC: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The largest millisecond value that fits in 48 bits.
    public static let maxPhysical: UInt64 = (1 << 48) - 1
    public static let zero = HLC(physical: 0, counter: 0)

    /// Unix time in milliseconds (UTC).
    public let physical: UInt64
    /// Orders timestamps within one millisecond.
    public let counter: UInt16

    public init(physical: UInt64, counter: UInt16) {
        precondition(physical <= Self.maxPhysical, "HLC physical time exceeds 48 bits")
        self.physical = physical
        self.counter = counter
    }

    /// Reads the 16-hex-digit form; nil unless it is exactly 16 lowercase hex digits.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 16 else { return nil }
        var raw: UInt64 = 0
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): raw = raw << 4 | UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): raw = raw << 4 | UInt64(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        self.init(physical: raw >> 16, counter: UInt16(truncatingIfNeeded: raw))
    }

    /// The 64-bit value: physical in the high 48 bits, counter in the low 16.
    public var rawValue: UInt64 { physical << 16 | UInt64(counter) }

    /// The 16-lowercase-hex-digit form.
    public var hex: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { hex }

    /// The next timestamp after this one: the counter plus one, or on counter overflow the next
    /// millisecond with counter 0.
    public var successor: HLC {
        counter == UInt16.max ? HLC(physical: physical + 1, counter: 0) : HLC(physical: physical, counter: counter + 1)
    }

    public static func < (lhs: HLC, rhs: HLC) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The rules of the hybrid logical clock, as pure functions of the last timestamp and the wall
/// clock. The caller persists `last` (the store does it in the append transaction), so the clock
/// never goes backwards, also across restarts with the wall clock set back.
public enum HybridClock {
    /// A remote timestamp more than this far ahead of local wall time is flagged as skew and not
    /// merged into the local clock: 5 minutes.
    public static let maxForwardSkewMilliseconds: UInt64 = 5 * 60 * 1000

    /// The timestamp for a local event: wall time if it is ahead of `last`, otherwise `last`'s
    /// successor. Always greater than `last`.
    public static func tick(last: HLC, wallMilliseconds: UInt64) -> HLC {
        let wall = min(wallMilliseconds, HLC.maxPhysical)
        return wall > last.physical ? HLC(physical: wall, counter: 0) : last.successor
    }

    /// What receiving a remote timestamp does to the local clock.
    public enum Receipt: Sendable, Hashable {
        /// The remote timestamp was merged: the new local timestamp is greater than both.
        case merged(HLC)
        /// The remote timestamp is more than 5 minutes ahead of wall time: it is stored and flagged,
        /// but the local clock only ticks. `aheadMilliseconds` is how far ahead it was.
        case skewed(local: HLC, aheadMilliseconds: UInt64)

        /// The local clock after the receipt.
        public var local: HLC {
            switch self {
            case .merged(let hlc): hlc
            case .skewed(let hlc, _): hlc
            }
        }
    }

    /// Merges `remote` into the local clock, unless it is too far ahead of the wall clock.
    public static func receive(remote: HLC, last: HLC, wallMilliseconds: UInt64) -> Receipt {
        if remote.physical > wallMilliseconds, remote.physical - wallMilliseconds > maxForwardSkewMilliseconds {
            return .skewed(
                local: tick(last: last, wallMilliseconds: wallMilliseconds),
                aheadMilliseconds: remote.physical - wallMilliseconds)
        }
        return .merged(tick(last: max(last, remote), wallMilliseconds: wallMilliseconds))
    }
}
