import Foundation
import LienThongCore
import LienThongWire

/// The code paths that read bytes from outside (issue 8, item 9), each as a function of arbitrary
/// bytes that libFuzzer drives (`lienthong-fuzz`, built by Scripts/fuzz.sh with `-sanitize=fuzzer`)
/// and that the ordinary test suite replays over the committed corpus (`FuzzCorpusTests`).
///
/// Each run does more than "must not crash": it checks a property the code promises, and throws
/// ``FuzzFinding`` when it does not hold. Under libFuzzer a finding aborts, so it is saved as a
/// crasher like any trap or sanitizer report.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `Event(bytes:)`: a stored or received event. Decoding the bytes it writes gives the same
    /// bytes and the same hash, and the validator's verdict does not change.
    case eventDecoder = "event-decoder"
    /// `CanonicalJSON.encode` over whatever `JSONParser` accepts: the output is valid UTF-8 JSON
    /// that Foundation's parser also reads, with strings in NFC, and encoding it again changes nothing.
    case canonicalEncoder = "canonical-encoder"
    /// `ChainVerifier.check`: rows of stored events, one per line (an input starting `gaps\n` allows
    /// gaps). It accepts a row only if an independent reading agrees: the bytes are the event's
    /// canonical form, the hash is right, and seq and `prev` follow the previous row of the origin.
    case chainVerifier = "chain-verifier"
    /// `PushRequest(bytes:)` and `BatchCheck.decide`, as the hub runs them on a push body. A parsed
    /// request reads back the same from its own bytes; a batch the check would append links from
    /// `base`, carries a valid signature, and is a duplicate once the hub holds it.
    case pushRequest = "push-request"
    /// `Gzip.decompress`: the first two bytes are the limit (big-endian), the rest the body. What it
    /// inflates is within the limit and the same under a larger one; what it calls too large is
    /// larger than the limit; what it calls corrupt is corrupt under any limit.
    case gzipInflation = "gzip-inflation"

    /// Runs the target over `bytes`.
    public func run(_ bytes: [UInt8]) throws(FuzzFinding) {
        switch self {
        case .eventDecoder: try Self.decodeEvent(bytes)
        case .canonicalEncoder: try Self.encodeCanonically(bytes)
        case .chainVerifier: try Self.verifyChain(bytes)
        case .pushRequest: try Self.parsePush(bytes)
        case .gzipInflation: try Self.inflate(bytes)
        }
    }

    /// The origin key fuzzed chains and batches are signed with (a fixed seed: the seeds in the
    /// corpus carry its signatures).
    public static let key: SigningKey = {
        // Swift cannot fail here: 32 bytes are a valid Ed25519 seed.
        try! SigningKey(seed: Array(0..<32))
    }()
    public static let verifyingKey = key.publicKey

    // MARK: - event decoder

    static func decodeEvent(_ bytes: [UInt8]) throws(FuzzFinding) {
        guard let event = try? Event(bytes: bytes) else { return }
        let stored = event.storedBytes
        let again: Event
        do {
            again = try Event(bytes: stored)
        } catch {
            throw FuzzFinding(.eventDecoder, "an event's own stored bytes do not decode: \(error.description)")
        }
        guard again.storedBytes == stored else {
            throw FuzzFinding(.eventDecoder, "decoding an event's stored bytes and writing them again changes them")
        }
        guard again.canonicalBytes == event.canonicalBytes, again.hash == event.hash else {
            throw FuzzFinding(.eventDecoder, "the canonical bytes or the hash change through the event's stored bytes")
        }
        guard again.hashIsValid == event.hashIsValid else {
            throw FuzzFinding(.eventDecoder, "hashIsValid differs between an event and its stored bytes")
        }
        let validator = EventValidator()
        let first = Result { () throws(EventValidationError) in try validator.validate(event) }
        let second = Result { () throws(EventValidationError) in try validator.validate(again) }
        switch (first, second) {
        case (.success(let a), .success(let b)) where a == b: break
        case (.failure, .failure): break
        default: throw FuzzFinding(.eventDecoder, "the validator's verdict differs between an event and its stored bytes")
        }
    }

    // MARK: - canonical encoder

    static func encodeCanonically(_ bytes: [UInt8]) throws(FuzzFinding) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let encoded = CanonicalJSON.encode(value)
        guard String(validating: encoded, as: UTF8.self) != nil else {
            throw FuzzFinding(.canonicalEncoder, "the canonical form is not valid UTF-8")
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
        guard reread == CanonicalJSON.normalized(value) else {
            throw FuzzFinding(.canonicalEncoder, "the canonical form reads back as another value than the NFC input")
        }
        guard !encoded.contains(where: { $0 < 0x20 }) else {
            throw FuzzFinding(.canonicalEncoder, "the canonical form holds a raw control character")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(encoded), options: [.fragmentsAllowed])) != nil else {
            throw FuzzFinding(.canonicalEncoder, "Foundation's JSON parser refuses the canonical form")
        }
        guard allStringsAreNFC(reread) else {
            throw FuzzFinding(.canonicalEncoder, "a string or key in the canonical form is not in NFC")
        }
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

    static func verifyChain(_ bytes: [UInt8]) throws(FuzzFinding) {
        let allowGaps = bytes.starts(with: gapsPrefix)
        let rows = (allowGaps ? bytes.dropFirst(gapsPrefix.count) : bytes[...]).split(separator: 0x0A, omittingEmptySubsequences: false)
        var verifier = ChainVerifier()
        // The independent reading: each origin's last row, as the verifier's head should be.
        var last: [String: (seq: Int, hash: String)] = [:]
        for row in rows.prefix(64) {
            let rowBytes = Array(row)
            let decoded = try? Event(bytes: rowBytes)
            let origin = decoded?.origin ?? "xa-fuzz"
            let seq = decoded?.seq ?? (last[origin]?.seq ?? 0) + 1
            let hash = decoded?.hash ?? ""
            let problem = verifier.check(origin: origin, seq: seq, hash: hash, bytes: rowBytes, allowGaps: allowGaps)
            let previous = last[origin]
            last[origin] = (seq, hash)
            guard verifier.heads[origin]?.seq == seq, verifier.heads[origin]?.hash == hash else {
                throw FuzzFinding(.chainVerifier, "after a row the verifier's head is not that row (\(origin) seq \(seq))")
            }
            guard problem == nil else { continue }
            guard let event = decoded else {
                throw FuzzFinding(.chainVerifier, "a row that is not an event was accepted")
            }
            guard event.storedBytes == rowBytes else {
                throw FuzzFinding(.chainVerifier, "a row that is not its event's canonical form was accepted (seq \(seq))")
            }
            guard Digest.sha256Hex(event.canonicalBytes) == event.hash else {
                throw FuzzFinding(.chainVerifier, "a row whose hash does not match its content was accepted (seq \(seq))")
            }
            let expected = (previous?.seq ?? 0) + 1
            if seq == expected {
                guard event.prev == (previous?.hash ?? Event.genesisHash) else {
                    throw FuzzFinding(.chainVerifier, "a row whose prev does not link to the previous row was accepted (seq \(seq))")
                }
            } else {
                guard allowGaps, seq > expected else {
                    throw FuzzFinding(.chainVerifier, "a row out of seq order was accepted (seq \(seq) after \(expected - 1))")
                }
            }
            guard (try? EventValidator().validate(event)) != nil else {
                throw FuzzFinding(.chainVerifier, "a row the validator refuses was accepted (seq \(seq))")
            }
        }
        // A checkpoint over each origin's last row, signed with the fuzz key: it must verify exactly
        // when the row was a real event (the key signs any hash), and never under another origin.
        for (origin, head) in last.sorted(by: { $0.key < $1.key }) {
            guard let epoch = verifier.heads[origin]?.epoch, !epoch.isEmpty else { continue }
            guard let checkpoint = try? key.checkpoint(origin: origin, epoch: epoch, seq: head.seq, hash: head.hash) else { continue }
            if let problem = ChainVerifier.check(checkpoint, eventAtSeq: (head.hash, epoch), key: verifyingKey) {
                throw FuzzFinding(.chainVerifier, "a checkpoint signed with the right key was refused: \(problem)")
            }
            let forged = Checkpoint(origin: origin + "x", epoch: epoch, seq: head.seq, hash: head.hash, signature: checkpoint.signature)
            if ChainVerifier.check(forged, eventAtSeq: (head.hash, epoch), key: verifyingKey) == nil {
                throw FuzzFinding(.chainVerifier, "a checkpoint's signature verified for another origin")
            }
        }
    }

    // MARK: - push request

    static func parsePush(_ bytes: [UInt8]) throws(FuzzFinding) {
        guard let push = try? PushRequest(bytes: bytes) else { return }
        let reread: PushRequest
        do {
            reread = try PushRequest(bytes: push.bytes)
        } catch {
            throw FuzzFinding(.pushRequest, "a parsed push request's own bytes do not parse: \(error.description)")
        }
        guard reread == push else {
            throw FuzzFinding(.pushRequest, "a push request read back from its own bytes differs")
        }
        for batch in push.batches.prefix(4) {
            let verdict = BatchCheck.decide(batch, head: .empty, headHLC: nil, held: { _ in nil }, key: verifyingKey, fenced: false)
            guard case .append(let events, let checkpoint, let stored) = verdict else { continue }
            guard !events.isEmpty, events.count == stored.count, events.first?.prev == batch.base else {
                throw FuzzFinding(.pushRequest, "an appended batch does not start at its base")
            }
            var prev = batch.base
            for (event, bytes) in zip(events, stored) {
                guard event.prev == prev, event.hashIsValid, event.storedBytes == bytes else {
                    throw FuzzFinding(.pushRequest, "an appended batch's chain does not link at seq \(event.seq)")
                }
                prev = event.hash
            }
            guard checkpoint.hash == prev, verifyingKey.verifies(checkpoint) else {
                throw FuzzFinding(.pushRequest, "an appended batch's checkpoint does not sign its last event")
            }
            // Once the hub holds the batch, the same batch is a duplicate.
            let byHash = Dictionary(events.map { ($0.seq, BatchCheck.Held(hash: $0.hash, hlc: $0.hlc)) }, uniquingKeysWith: { a, _ in a })
            let again = BatchCheck.decide(
                batch, head: ChainHead(seq: checkpoint.seq, hash: checkpoint.hash), headHLC: events.last?.hlc, held: { byHash[$0] },
                key: verifyingKey, fenced: false)
            guard again == .duplicate else {
                throw FuzzFinding(.pushRequest, "a batch the hub holds is not a duplicate the second time")
            }
        }
    }

    // MARK: - gzip inflation

    /// A limit no fuzz input reaches (libFuzzer's inputs are a few KiB; see the script's -max_len).
    static let largeLimit = 1 << 24

    static func inflate(_ bytes: [UInt8]) throws(FuzzFinding) {
        guard bytes.count >= 2 else { return }
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
            let compressed: [UInt8]
            do {
                compressed = try Gzip.compress(inflated)
            } catch {
                throw FuzzFinding(.gzipInflation, "compressing inflated bytes failed: \(error.description)")
            }
            guard Gzip.isCompressed(compressed), (try? Gzip.decompress(compressed, limit: limit)) == inflated else {
                throw FuzzFinding(.gzipInflation, "compressing and inflating again does not give the same bytes")
            }
        case .failure(.tooLarge):
            switch large {
            case .success(let all) where all.count > limit: break
            case .failure(.tooLarge): break
            case .failure(.corrupt):
                // The damage lies past the first `limit` bytes: the small limit stopped reading first.
                break
            default: throw FuzzFinding(.gzipInflation, "a body called larger than \(limit) bytes inflates within it")
            }
        case .failure(.corrupt(let reason)):
            guard case .failure(.corrupt) = large else {
                throw FuzzFinding(.gzipInflation, "a body called corrupt under a limit of \(limit) inflates under a larger one (\(reason))")
            }
        }
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
