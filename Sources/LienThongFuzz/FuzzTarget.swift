import Foundation
import LienThongCore
import LienThongWire

/// The code paths that read bytes from outside (issue 8, item 9), each as a function of arbitrary
/// bytes that libFuzzer drives (`lienthong-fuzz`, built by Scripts/fuzz.sh with `-sanitize=fuzzer`)
/// and that the ordinary test suite replays over the committed corpus (`FuzzCorpusTests`).
///
/// Each run does more than "must not crash": it checks properties the code promises, and throws
/// ``FuzzFinding`` when one does not hold. Under libFuzzer a finding aborts, so it is saved as a
/// crasher like any trap or sanitizer report. ``run(_:)`` says whether the input got as far as
/// those checks (most random bytes are refused early, which is checked only for not crashing).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `Event(bytes:)`: a stored or received event. Its hand-written canonical and stored forms equal
    /// the generic encoder's; decoding the bytes it writes gives the same bytes and the same hash;
    /// the validator's verdict does not change.
    case eventDecoder = "event-decoder"
    /// `CanonicalJSON.encode` over whatever `JSONParser` accepts: the output is byte for byte what a
    /// plain reference encoder written from RFC 8785 gives (``ReferenceJSON``), is valid UTF-8 JSON
    /// without raw control characters that Foundation's parser also reads, and reads back to a
    /// value that encodes to the same bytes.
    case canonicalEncoder = "canonical-encoder"
    /// `ChainVerifier.check`: rows of stored events, one per line (an input starting `gaps\n` allows
    /// gaps); a row's key columns are the event's own unless the line starts with `+` (seq one
    /// more), `#` (another hash) or `@` (another origin). The verifier must accept a row exactly
    /// when the harness's own reading of the rules (DESIGN §2, restated here) accepts it: the row's
    /// columns are the event's, its bytes the canonical form, its hash right, seq and `prev` follow
    /// the origin's previous row, and the validator takes it.
    case chainVerifier = "chain-verifier"
    /// `PushRequest(bytes:)` and `BatchCheck.decide`, as the hub runs them on a push body. A parsed
    /// request reads back the same from its own bytes, and gets the same verdicts. A batch an empty
    /// hub would append starts at seq 1 from the genesis hash, links, and is signed; once the hub
    /// holds its first k events, the rest is appended with the same bytes; once it holds all of
    /// it, it is a duplicate; and where a held event differs, the batch diverges at that seq.
    case pushRequest = "push-request"
    /// `Gzip.decompress`: the first two bytes are the limit (big-endian), the rest the body. What it
    /// inflates is within the limit, the same under a larger one, ends the body with its CRC-32 and
    /// length (computed here, bit by bit), and is refused with one byte cut off the body's end or
    /// one byte added; what it calls too large is not inflated within the limit under a larger
    /// one; what it calls corrupt is corrupt under any larger limit.
    case gzipInflation = "gzip-inflation"

    /// Runs the target over `bytes`; returns whether the input reached the property checks (an
    /// event decoded, a JSON value parsed, a row accepted, a request parsed, a body inflated).
    @discardableResult
    public func run(_ bytes: [UInt8]) throws(FuzzFinding) -> Bool {
        switch self {
        case .eventDecoder: try Self.decodeEvent(bytes)
        case .canonicalEncoder: try Self.encodeCanonically(bytes)
        case .chainVerifier: try Self.verifyChain(bytes)
        case .pushRequest: try Self.parsePush(bytes)
        case .gzipInflation: try Self.inflate(bytes)
        }
    }

    /// The origin key fuzzed batches are signed with (a fixed seed: the seeds in the corpus carry
    /// its signatures).
    public static let key: SigningKey = {
        // Swift cannot fail here: 32 bytes are a valid Ed25519 seed.
        try! SigningKey(seed: Array(0..<32))
    }()
    public static let verifyingKey = key.publicKey

    // MARK: - event decoder

    static func decodeEvent(_ bytes: [UInt8]) throws(FuzzFinding) -> Bool {
        guard let event = try? Event(bytes: bytes) else { return false }
        let stored = event.storedBytes
        guard event.canonicalBytes == CanonicalJSON.encode(event.unhashedJSON), stored == CanonicalJSON.encode(event.json) else {
            throw FuzzFinding(.eventDecoder, "the event's own encoder and the generic canonical encoder disagree")
        }
        let sealed = event.sealed()
        guard sealed.hash == Digest.sha256Hex(event.canonicalBytes), event.hashIsValid == (sealed.hash == event.hash),
            !event.hashIsValid || sealed.stored == stored
        else {
            throw FuzzFinding(.eventDecoder, "sealed() disagrees with the event's hash or stored bytes")
        }
        let again: Event
        do {
            again = try Event(bytes: stored)
        } catch {
            throw FuzzFinding(.eventDecoder, "an event's own stored bytes do not decode: \(error.description)")
        }
        guard again.storedBytes == stored else {
            throw FuzzFinding(.eventDecoder, "decoding an event's stored bytes and writing them again changes them")
        }
        guard again.canonicalBytes == event.canonicalBytes, again.hash == event.hash, again.hashIsValid == event.hashIsValid else {
            throw FuzzFinding(.eventDecoder, "the canonical bytes, the hash or its validity change through the event's stored bytes")
        }
        let validator = EventValidator()
        let first = Result { () throws(EventValidationError) in try validator.validate(event) }
        let second = Result { () throws(EventValidationError) in try validator.validate(again) }
        switch (first, second) {
        case (.success(let a), .success(let b)) where a == b: break
        case (.failure(let a), .failure(let b)) where a == b: break
        default: throw FuzzFinding(.eventDecoder, "the validator's verdict differs between an event and its stored bytes")
        }
        return true
    }

    // MARK: - canonical encoder

    static func encodeCanonically(_ bytes: [UInt8]) throws(FuzzFinding) -> Bool {
        guard let value = try? JSONParser.parse(bytes) else { return false }
        let encoded = CanonicalJSON.encode(value)
        guard !encoded.contains(where: { $0 < 0x20 }) else {
            throw FuzzFinding(.canonicalEncoder, "the canonical form holds a raw control character")
        }
        guard String(validating: encoded, as: UTF8.self) != nil else {
            throw FuzzFinding(.canonicalEncoder, "the canonical form is not valid UTF-8")
        }
        guard encoded == ReferenceJSON.encode(value) else {
            throw FuzzFinding(.canonicalEncoder, "the canonical form differs from the reference encoder's")
        }
        let reread: JSONValue
        do {
            reread = try JSONParser.parse(encoded)
        } catch {
            throw FuzzFinding(.canonicalEncoder, "the canonical form does not parse: \(error.description)")
        }
        guard CanonicalJSON.encode(reread) == encoded else {
            throw FuzzFinding(.canonicalEncoder, "encoding the canonical form's value again gives other bytes")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(encoded), options: [.fragmentsAllowed])) != nil else {
            throw FuzzFinding(.canonicalEncoder, "Foundation's JSON parser refuses the canonical form")
        }
        guard allStringsAreNFC(reread) else {
            throw FuzzFinding(.canonicalEncoder, "a string or key in the canonical form is not in NFC")
        }
        return true
    }

    static func allStringsAreNFC(_ value: JSONValue) -> Bool {
        func nfc(_ s: String) -> Bool { s.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(s.unicodeScalars) }
        switch value {
        case .null, .bool, .integer: return true
        case .string(let s): return nfc(s)
        case .array(let items): return items.allSatisfy(allStringsAreNFC)
        case .object(let members): return members.allSatisfy { nfc($0.key) && allStringsAreNFC($0.value) }
        }
    }

    // MARK: - chain verifier

    static let gapsPrefix = Array("gaps\n".utf8)

    static func verifyChain(_ bytes: [UInt8]) throws(FuzzFinding) -> Bool {
        let allowGaps = bytes.starts(with: gapsPrefix)
        let lines = (allowGaps ? bytes.dropFirst(gapsPrefix.count) : bytes[...]).split(separator: 0x0A, omittingEmptySubsequences: false)
        var verifier = ChainVerifier()
        let validator = EventValidator()
        // Each origin's previous row (seq and hash columns), as the verifier's head should be.
        var last: [String: (seq: Int, hash: String)] = [:]
        var accepted = 0
        for line in lines.prefix(64) {
            // A leading `+`, `#` or `@` makes the row's columns differ from its event's.
            let tweak = line.first.flatMap { [UInt8(ascii: "+"), UInt8(ascii: "#"), UInt8(ascii: "@")].contains($0) ? $0 : nil }
            let row = Array(tweak == nil ? line : line.dropFirst())
            let decoded = try? Event(bytes: row)
            var origin = decoded?.origin ?? "xa-fuzz"
            var seq = decoded?.seq ?? (last[origin]?.seq ?? 0) + 1
            var hash = decoded?.hash ?? ""
            switch tweak {
            case UInt8(ascii: "+")?: seq = seq &+ 1
            case UInt8(ascii: "#")?: hash = Digest.sha256Hex(Array(hash.utf8))
            case UInt8(ascii: "@")?: origin += "-other"
            default: break
            }
            let problem = verifier.check(origin: origin, seq: seq, hash: hash, bytes: row, allowGaps: allowGaps)
            let previous = last[origin]
            last[origin] = (seq, hash)
            guard verifier.heads[origin]?.seq == seq, verifier.heads[origin]?.hash == hash else {
                throw FuzzFinding(.chainVerifier, "after a row the verifier's head is not that row (\(origin) seq \(seq))")
            }
            // The rules, read again here.
            var expected = false
            if let event = decoded, event.origin == origin, event.seq == seq, event.storedBytes == row, event.hash == hash,
                Digest.sha256Hex(event.canonicalBytes) == hash
            {
                let next = (previous?.seq ?? 0) + 1
                let linked = seq == next && event.prev == (previous?.hash ?? Event.genesisHash)
                let gap = allowGaps && seq > next
                expected = (linked || gap) && (try? validator.validate(event)) != nil
            }
            guard (problem == nil) == expected else {
                throw FuzzFinding(
                    .chainVerifier,
                    problem == nil
                        ? "a row the rules refuse was accepted (\(origin) seq \(seq))"
                        : "a row the rules accept was refused (\(origin) seq \(seq)): \(problem!.reason)")
            }
            if expected { accepted += 1 }
        }
        return accepted > 0
    }

    // MARK: - push request

    static func parsePush(_ bytes: [UInt8]) throws(FuzzFinding) -> Bool {
        guard let push = try? PushRequest(bytes: bytes) else { return false }
        let reread: PushRequest
        do {
            reread = try PushRequest(bytes: push.bytes)
        } catch {
            throw FuzzFinding(.pushRequest, "a parsed push request's own bytes do not parse: \(error.description)")
        }
        guard reread == push else {
            throw FuzzFinding(.pushRequest, "a push request read back from its own bytes differs")
        }
        func decide(_ batch: PushBatch, holding held: [Event] = [], head: ChainHead? = nil) -> BatchCheck.Verdict {
            let bySeq = Dictionary(held.map { ($0.seq, BatchCheck.Held(hash: $0.hash, hlc: $0.hlc)) }, uniquingKeysWith: { a, _ in a })
            let head = head ?? held.last.map { ChainHead(seq: $0.seq, hash: $0.hash) } ?? .empty
            return BatchCheck.decide(batch, head: head, headHLC: held.last?.hlc, held: { bySeq[$0] }, key: verifyingKey, fenced: false)
        }
        for (batch, again) in zip(push.batches, reread.batches).prefix(4) {
            let verdict = decide(batch)
            let second = decide(again)
            guard second == verdict else {
                throw FuzzFinding(
                    .pushRequest,
                    "a batch and the same batch read back from its bytes get different verdicts: \(String(describing: verdict).prefix(300)) / \(String(describing: second).prefix(300))"
                )
            }
            guard case .append(let events, let checkpoint, let stored) = verdict else { continue }
            guard let first = events.first, first.seq == 1, first.prev == Event.genesisHash, batch.base == Event.genesisHash,
                events.count == batch.events.count, events.count == stored.count
            else {
                throw FuzzFinding(.pushRequest, "an empty hub would append a batch that does not start at seq 1 from the genesis hash")
            }
            var prev = Event.genesisHash
            for (index, (event, bytes)) in zip(events, stored).enumerated() {
                guard event.seq == index + 1, event.prev == prev, event.hashIsValid, event.storedBytes == bytes,
                    (try? EventValidator().validate(event)) != nil
                else {
                    throw FuzzFinding(.pushRequest, "an appended batch's chain does not hold at seq \(event.seq)")
                }
                prev = event.hash
            }
            guard checkpoint.seq == events.count, checkpoint.hash == prev, verifyingKey.verifies(checkpoint) else {
                throw FuzzFinding(.pushRequest, "an appended batch's checkpoint does not sign its last event")
            }
            // The hub holds the first k events: the rest is appended, the same bytes.
            for k in 1...min(events.count, 8) {
                let verdict = decide(batch, holding: Array(events.prefix(k)))
                if k == events.count {
                    guard verdict == .duplicate else {
                        throw FuzzFinding(.pushRequest, "a batch the hub holds whole is not a duplicate")
                    }
                } else {
                    guard case .append(let rest, _, let restStored) = verdict, rest == Array(events[k...]), restStored == Array(stored[k...]) else {
                        throw FuzzFinding(.pushRequest, "a batch the hub holds the first \(k) events of is not appended from seq \(k + 1)")
                    }
                }
            }
            // The hub holds another event at seq j: the batch diverges there.
            let j = (events.count + 1) / 2
            var other = events[j - 1]
            other.hash = Digest.sha256Hex(Array(other.hash.utf8))
            var held = Array(events.prefix(j - 1)) + [other]
            if events.count > j { held.append(contentsOf: events[j...].prefix(1)) }
            guard case .diverged(_, _, let branch) = decide(batch, holding: held), branch.first?.seq == j else {
                throw FuzzFinding(.pushRequest, "a batch that differs from what the hub holds at seq \(j) does not diverge there")
            }
        }
        return true
    }

    // MARK: - gzip inflation

    /// The larger limit: 16 MiB (what libFuzzer makes of inputs up to the script's -max_len of
    /// 8 KiB stays far below it; a bomb past it is "too large" under both limits).
    static let largeLimit = 1 << 24

    static func inflate(_ bytes: [UInt8]) throws(FuzzFinding) -> Bool {
        guard bytes.count >= 2 else { return false }
        let limit = Int(bytes[0]) << 8 | Int(bytes[1])
        let body = Array(bytes.dropFirst(2))
        let large = Result { () throws(GzipError) in try Gzip.decompress(body, limit: largeLimit) }
        switch Result(catching: { () throws(GzipError) in try Gzip.decompress(body, limit: limit) }) {
        case .success(let inflated):
            guard inflated.count <= limit else {
                throw FuzzFinding(.gzipInflation, "inflated \(inflated.count) bytes past the limit \(limit)")
            }
            guard case .success(let same) = large, same == inflated else {
                throw FuzzFinding(.gzipInflation, "a body inflated within \(limit) bytes reads otherwise under a larger limit")
            }
            // The member's trailer, read again here (zlib checked it): CRC-32, bit by bit, and length.
            let trailer = body.suffix(8).map(UInt32.init)
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in inflated {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            guard trailer.count == 8, trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24 == crc ^ 0xFFFF_FFFF,
                trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24 == UInt32(truncatingIfNeeded: inflated.count)
            else {
                throw FuzzFinding(.gzipInflation, "a body inflated whole does not end with its own CRC-32 and length")
            }
            // One byte less is a member cut off; one byte more is something after the member.
            guard (try? Gzip.decompress(body.dropLast(), limit: largeLimit)) == nil,
                (try? Gzip.decompress(body + [body.last ?? 0], limit: largeLimit)) == nil
            else {
                throw FuzzFinding(.gzipInflation, "a body still inflates with its last byte cut off or a byte added")
            }
            let compressed: [UInt8]
            do {
                compressed = try Gzip.compress(inflated)
            } catch {
                throw FuzzFinding(.gzipInflation, "compressing inflated bytes failed: \(error.description)")
            }
            guard Gzip.isCompressed(compressed), (try? Gzip.decompress(compressed, limit: limit)) == inflated else {
                throw FuzzFinding(.gzipInflation, "compressing and inflating again does not give the same bytes")
            }
            return true
        case .failure(.tooLarge):
            switch large {
            case .success(let all) where all.count > limit: break
            case .failure(.tooLarge): break
            // The damage lies past the first `limit` bytes: the small limit stopped reading first.
            case .failure(.corrupt): break
            default: throw FuzzFinding(.gzipInflation, "a body called larger than \(limit) bytes inflates within it")
            }
        case .failure(.corrupt(let reason)):
            guard case .failure(.corrupt) = large else {
                throw FuzzFinding(.gzipInflation, "a body called corrupt under a limit of \(limit) inflates under a larger one (\(reason))")
            }
        }
        return false
    }
}

/// A property a fuzz target checks did not hold.
public struct FuzzFinding: Error, Sendable, CustomStringConvertible {
    public let target: FuzzTarget
    public let message: String

    public init(_ target: FuzzTarget, _ message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "\(target.rawValue): \(message)" }
}
