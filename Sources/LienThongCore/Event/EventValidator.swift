/// The one place that decides whether an event is well formed (DESIGN §2). Writers call it before
/// they append and hubs when they ingest, so a node cannot append what a hub of the same protocol
/// version would refuse.
///
/// It checks shape, sizes, type and version; the hash chain and signatures are checked by
/// ``ChainVerifier`` against the events around it.
public struct EventValidator: Sendable {
    /// The most bytes an event's stored form (canonical JSON with its hash) may take: 64 KiB.
    public static let maxEventBytes = 64 * 1024

    /// What an acceptable event means for this replica.
    public enum Verdict: Sendable, Hashable {
        /// Known version and type: fold it.
        case current
        /// Well formed, but written by a newer LienThong (higher `v` or an unknown type): store it and
        /// mark the dossier "needs upgrade".
        case needsUpgrade(reason: String)
    }

    public var maxEventBytes: Int
    public var knownTypes: Set<String>

    public init(maxEventBytes: Int = EventValidator.maxEventBytes, knownTypes: Set<String> = EventType.known) {
        self.maxEventBytes = maxEventBytes
        self.knownTypes = knownTypes
    }

    /// Checks `event`; throws naming the first field that is wrong. `storedSize`, when the caller
    /// has just encoded the event's ``Event/storedBytes``, spares encoding them again.
    public func validate(_ event: Event, storedSize: Int? = nil) throws(EventValidationError) -> Verdict {
        guard event.v >= 1 else {
            throw EventValidationError(field: "v", expected: "an event format version of 1 or more", found: .integer(event.v))
        }
        try Self.checkOrigin(event.origin, field: "origin")
        guard Self.isLowerHex(event.epoch, count: 32) else {
            throw EventValidationError(field: "epoch", expected: "32 lowercase hex digits", found: .string(event.epoch))
        }
        guard (1...JSONValue.maxSafeInteger).contains(event.seq) else {
            throw EventValidationError(field: "seq", expected: "an integer from 1 to 2^53-1", found: .integer(event.seq))
        }
        try Self.checkType(event.type)
        if let dossier = event.dossier {
            try Self.checkDossierCode(dossier)
        }
        func checkSeen(_ origin: String, _ seq: Int) throws(EventValidationError) {
            try Self.checkOrigin(origin, field: "seen")
            guard (1...JSONValue.maxSafeInteger).contains(seq) else {
                throw EventValidationError(field: "seen.\(origin)", expected: "a seq from 1 to 2^53-1", found: .integer(seq))
            }
        }
        // Checked in any order (every event a hub takes passes here); only an event found wrong is
        // walked again in key order, so that with two bad entries it is always refused naming the
        // same one (a dictionary's order depends on its history: found by the event-decoder fuzz
        // target). The body's keys below follow the same rule.
        do {
            for (origin, seq) in event.seen { try checkSeen(origin, seq) }
        } catch {
            for (origin, seq) in event.seen.sorted(by: { $0.key < $1.key }) { try checkSeen(origin, seq) }
            throw error
        }
        guard !event.actor.isEmpty, event.actor.count <= 64, !event.actor.unicodeScalars.contains(where: Self.isControl) else {
            throw EventValidationError(
                field: "actor", expected: "a staff id of 1 to 64 characters without control characters", found: .string(event.actor))
        }
        guard event.body.objectValue != nil else {
            throw EventValidationError(field: "body", expected: "a JSON object", found: event.body)
        }
        if let key = Self.firstNonASCIIKey(in: event.body) {
            throw EventValidationError(
                field: "body", expected: "object keys of 1 to 64 printable ASCII characters (values may hold any text)",
                found: .string(key))
        }
        guard Self.isLowerHex(event.prev, count: 64) else {
            throw EventValidationError(field: "prev", expected: "64 lowercase hex digits", found: .string(event.prev))
        }
        guard (event.seq == 1) == (event.prev == Event.genesisHash) else {
            throw EventValidationError(
                field: "prev", expected: event.seq == 1 ? "64 zeros for seq 1" : "the previous event's hash, not zeros",
                found: .string(event.prev))
        }
        guard Self.isLowerHex(event.hash, count: 64) else {
            throw EventValidationError(field: "hash", expected: "64 lowercase hex digits", found: .string(event.hash))
        }
        let size = storedSize ?? event.storedBytes.count
        guard size <= maxEventBytes else {
            throw EventValidationError(
                field: "event", expected: "at most \(maxEventBytes) bytes of canonical JSON, found \(size) bytes; attach large content by reference")
        }

        if event.v > Event.currentVersion {
            return .needsUpgrade(reason: "event format version \(event.v) is newer than \(Event.currentVersion)")
        }
        if !knownTypes.contains(event.type) {
            return .needsUpgrade(reason: "event type \(event.type) is unknown to this version")
        }
        if (event.dossier != nil) != EventType.requiresDossier(event.type) {
            throw EventValidationError(
                field: "dossier",
                expected: EventType.requiresDossier(event.type) ? "a dossier code for \(event.type)" : "no dossier for \(event.type)")
        }
        return .current
    }

    /// Checks an origin id: 1–64 characters, lowercase ASCII letters, digits and `-`, starting with a
    /// letter or digit (`xa-23059`, `hub-597`).
    public static func checkOrigin(_ origin: String, field: String) throws(EventValidationError) {
        let utf8 = Array(origin.utf8)
        let valid =
            (1...64).contains(utf8.count)
            && utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
            && isLowerAlnum(utf8[0])
        guard valid else {
            throw EventValidationError(
                field: field, expected: "an origin id of 1 to 64 lowercase letters, digits and '-', such as xa-23059",
                found: .string(origin))
        }
    }

    /// Checks a dossier code's shape: 1–64 printable ASCII characters without spaces. Its parts
    /// (`<agency>-<YYMMDD>-<NNNN>`) are checked by the workflow that allocates it.
    public static func checkDossierCode(_ code: String) throws(EventValidationError) {
        let utf8 = Array(code.utf8)
        guard (1...64).contains(utf8.count), utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw EventValidationError(
                field: "dossier", expected: "a dossier code of 1 to 64 printable ASCII characters without spaces",
                found: .string(code))
        }
    }

    /// Checks a type's shape: dot-separated lowerCamel words, such as `dossier.handedOver`.
    public static func checkType(_ type: String) throws(EventValidationError) {
        let parts = type.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            type.utf8.count <= 64 && parts.count >= 2
            && parts.allSatisfy { part in
                guard let first = part.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
                return part.utf8.allSatisfy { isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
            }
        guard valid else {
            throw EventValidationError(
                field: "type", expected: "dot-separated lowerCamel words of at most 64 characters, such as dossier.received",
                found: .string(type))
        }
    }

    /// Whether `text` is 1…`maxLength` ASCII letters, digits, `.` or `-` (procedure codes, step ids).
    public static func isSafeIdentifier(_ text: String, maxLength: Int) -> Bool {
        (1...maxLength).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
            }
    }

    /// The first object key anywhere in `value` that is not 1–64 printable ASCII characters, in key
    /// order (members sorted at each level, depth first), so that a body with two bad keys is
    /// always refused naming the same one (found by the push-request fuzz target). Bodies without
    /// a bad key, nearly all of them, are walked once in any order.
    static func firstNonASCIIKey(in value: JSONValue) -> String? {
        hasNonASCIIKey(value) ? firstNonASCIIKeyInOrder(value) : nil
    }

    static func isBadKey(_ key: String) -> Bool {
        let utf8 = key.utf8
        return !(1...64).contains(utf8.count) || !utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
    }

    static func hasNonASCIIKey(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members): return members.contains { isBadKey($0.key) || hasNonASCIIKey($0.value) }
        case .array(let items): return items.contains(where: hasNonASCIIKey)
        default: return false
        }
    }

    static func firstNonASCIIKeyInOrder(_ value: JSONValue) -> String? {
        switch value {
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if isBadKey(key) { return key }
                if let found = firstNonASCIIKeyInOrder(member) { return found }
            }
            return nil
        case .array(let items): return items.lazy.compactMap(firstNonASCIIKeyInOrder).first
        default: return nil
        }
    }

    static func isLowerHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count
            && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }
}
