/// One fact that happened at one office, as it stands in the log. Events are never edited or
/// deleted; `(origin, seq)` is an event's identity and `hash` chains it to its predecessor.
///
/// Strings are held in Unicode NFC (the initialisers normalise them), so the value and its
/// canonical bytes always agree.
public struct Event: Sendable, Hashable {
    /// The event format version this code writes.
    public static let currentVersion = 1
    /// `prev` of an origin's first event: 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Event format version.
    public var v: Int
    /// The writer: a node (`xa-23059`) or a hub (`hub-<agency code>`).
    public var origin: String
    /// Random id of the origin's incarnation.
    public var epoch: String
    /// 1, 2, 3 … contiguous per origin.
    public var seq: Int
    public var hlc: HLC
    /// The dossier (hồ sơ) code the event is about; nil for hub-wide events.
    public var dossier: String?
    /// For this dossier, the highest seq of each origin whose events the writer had applied.
    public var seen: [String: Int]
    /// The event type, such as `dossier.received`.
    public var type: String
    /// The officer or operator who did it, from the office's staff list.
    public var actor: String
    /// Type-specific fields: always a JSON object.
    public var body: JSONValue
    /// `hash` of the origin's previous event, or ``genesisHash`` for seq 1.
    public var prev: String
    /// SHA-256 of ``canonicalBytes``, lowercase hex.
    public var hash: String

    /// An event from its fields; `hash` is computed. Strings are normalised to NFC.
    public init(
        v: Int = Event.currentVersion, origin: String, epoch: String, seq: Int, hlc: HLC, dossier: String?,
        seen: [String: Int] = [:], type: String, actor: String, body: JSONValue = [:], prev: String
    ) {
        self.init(
            v: v, origin: origin, epoch: epoch, seq: seq, hlc: hlc, dossier: dossier, seen: seen, type: type, actor: actor,
            body: body, prev: prev, hash: nil)
    }

    /// An event from its fields, with `hash` as given (a read event keeps the hash it carries, for
    /// ``hashIsValid`` to check) or computed when nil.
    init(
        v: Int, origin: String, epoch: String, seq: Int, hlc: HLC, dossier: String?, seen: [String: Int], type: String,
        actor: String, body: JSONValue, prev: String, hash: String?
    ) {
        self.v = v
        self.origin = CanonicalJSON.nfc(origin)
        self.epoch = CanonicalJSON.nfc(epoch)
        self.seq = seq
        self.hlc = hlc
        self.dossier = dossier.map(CanonicalJSON.nfc)
        self.seen =
            seen.keys.allSatisfy(CanonicalJSON.isCertainlyNFC)
            ? seen : Dictionary(seen.map { (CanonicalJSON.nfc($0.key), $0.value) }, uniquingKeysWith: max)
        self.type = CanonicalJSON.nfc(type)
        self.actor = CanonicalJSON.nfc(actor)
        self.body = CanonicalJSON.normalized(body)
        self.prev = prev
        self.hash = ""
        self.hash = hash ?? Digest.sha256Hex(canonicalBytes)
    }

    /// The fields that the hash covers (all but `hash`) as a JSON object.
    public var unhashedJSON: JSONValue {
        var members: [String: JSONValue] = [
            "v": .integer(v),
            "origin": .string(origin),
            "epoch": .string(epoch),
            "seq": .integer(seq),
            "hlc": .string(hlc.hex),
            "seen": .object(seen.mapValues { .integer($0) }),
            "type": .string(type),
            "actor": .string(actor),
            "body": body,
            "prev": .string(prev),
        ]
        if let dossier { members["dossier"] = .string(dossier) }
        return .object(members)
    }

    /// The canonical bytes the hash covers: RFC 8785 JSON of every field but `hash`.
    public var canonicalBytes: [UInt8] { canonicalParts().bytes }

    /// The whole event, `hash` included, as a JSON object: the stored and wire form.
    public var json: JSONValue {
        guard case .object(var members) = unhashedJSON else { return unhashedJSON }
        members["hash"] = .string(hash)
        return .object(members)
    }

    /// The canonical bytes of ``json``.
    public var storedBytes: [UInt8] {
        let (bytes, hashAt) = canonicalParts()
        return Self.splice(hash: hash, into: bytes, at: hashAt)
    }

    /// The event's hash and its stored bytes (``storedBytes`` with that hash) from one encoding:
    /// what a hub computes for every pushed event, which travels without its hash.
    public func sealed() -> (hash: String, stored: [UInt8]) {
        let (bytes, hashAt) = canonicalParts()
        let hash = Digest.sha256Hex(bytes)
        return (hash, Self.splice(hash: hash, into: bytes, at: hashAt))
    }

    /// `canonical` with the member `"hash":…` inserted at `offset`, where it sorts.
    static func splice(hash: String, into canonical: [UInt8], at offset: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(canonical.count + 80)
        out.append(contentsOf: canonical[..<offset])
        out.append(contentsOf: #","hash":"#.utf8)
        CanonicalJSON.writeString(hash, into: &out)
        out.append(contentsOf: canonical[offset...])
        return out
    }

    /// `CanonicalJSON.encode(unhashedJSON)`, written member by member in the canonical key order
    /// instead of through a dictionary (every event is encoded at least twice on its way into a
    /// hub, and this was most of a push's cost; a test holds the two equal), and the offset where
    /// the `hash` member goes in the stored form: before `,"hlc":`.
    func canonicalParts() -> (bytes: [UInt8], hashAt: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        func member(_ key: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        // Keys compared by UTF-16 code units: actor < body < dossier < epoch < (hash) < hlc < origin
        // < prev < seen < seq < type < v.
        out.append(UInt8(ascii: "{"))
        member("actor", first: true)
        CanonicalJSON.writeString(actor, into: &out)
        member("body")
        CanonicalJSON.write(body, into: &out)
        if let dossier {
            member("dossier")
            CanonicalJSON.writeString(dossier, into: &out)
        }
        member("epoch")
        CanonicalJSON.writeString(epoch, into: &out)
        let hashAt = out.count
        member("hlc")
        CanonicalJSON.writeString(hlc.hex, into: &out)
        member("origin")
        CanonicalJSON.writeString(origin, into: &out)
        member("prev")
        CanonicalJSON.writeString(prev, into: &out)
        member("seen")
        CanonicalJSON.write(.object(seen.mapValues { .integer($0) }), into: &out)
        member("seq")
        out.append(contentsOf: String(seq).utf8)
        member("type")
        CanonicalJSON.writeString(type, into: &out)
        member("v")
        out.append(contentsOf: String(v).utf8)
        out.append(UInt8(ascii: "}"))
        return (out, hashAt)
    }

    /// Whether `hash` is the SHA-256 of this event's canonical bytes.
    public var hashIsValid: Bool { Digest.sha256Hex(canonicalBytes) == hash }
}
