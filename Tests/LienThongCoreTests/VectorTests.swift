import Foundation
import LienThongCore
import LienThongTesting
import Testing

/// `Tests/Fixtures/vectors.json` — event → canonical bytes → hash → checkpoint signature — checked
/// against the Swift implementation. `Scripts/vectors.py check` checks the same file in Python.
@Suite struct VectorTests {
    struct Vector {
        let name: String
        let input: JSONValue
        let canonical: String
        let hash: String
        let checkpointMessage: String
        let signature: String
    }

    static func load() throws -> (seed: String, publicKey: String, vectors: [Vector]) {
        let document = try JSONParser.parse(Array(try Data(contentsOf: Fixtures.vectorsURL)))
        let vectors = try #require(document["vectors"].flatMap { if case .array(let items) = $0 { items } else { nil } })
        return (
            try #require(document["testKeySeed"]?.stringValue),
            try #require(document["testPublicKey"]?.stringValue),
            try vectors.map { item in
                Vector(
                    name: try #require(item["name"]?.stringValue), input: try #require(item["input"]),
                    canonical: try #require(item["canonical"]?.stringValue), hash: try #require(item["hash"]?.stringValue),
                    checkpointMessage: try #require(item["checkpointMessage"]?.stringValue),
                    signature: try #require(item["signature"]?.stringValue))
            }
        )
    }

    @Test func fileHoldsAtLeastTwentyVectorsCoveringTheHardCases() throws {
        let (_, _, vectors) = try Self.load()
        #expect(vectors.count >= 20)
        let inputs = vectors.map { CanonicalJSON.string($0.input) }
        // The file must really hold decomposed input: its raw text differs from its NFC form.
        let raw = try String(contentsOf: Fixtures.vectorsURL, encoding: .utf8)
        #expect(raw.contains("\\u0302") || raw.contains("\\u0303"), "no decomposed (NFD) diacritics in the vectors")
        #expect(inputs.contains { $0.contains("/") })
        #expect(inputs.contains { $0.contains("\\u0000") })
        #expect(inputs.contains { $0.contains("9007199254740991") })
        #expect(inputs.contains { $0.contains("\"body\":{}") })
    }

    @Test func everyVectorEncodesHashesAndSignsAsRecorded() throws {
        let (seed, publicKeyHex, vectors) = try Self.load()
        let key = try SigningKey(seedHex: seed)
        #expect(key.publicKey.hex == publicKeyHex)
        for vector in vectors {
            guard case .object(var members) = vector.input else {
                Issue.record("\(vector.name): input is not an object")
                continue
            }
            members["hash"] = ""
            let event = try Event(json: .object(members))
            #expect(String(decoding: event.canonicalBytes, as: UTF8.self) == vector.canonical, "\(vector.name): canonical bytes")
            let computedHash = Digest.sha256Hex(event.canonicalBytes)
            #expect(computedHash == vector.hash, "\(vector.name): hash")
            let message = Checkpoint.message(origin: event.origin, epoch: event.epoch, seq: event.seq, hash: computedHash)
            #expect(Digest.hex(message) == vector.checkpointMessage, "\(vector.name): checkpoint message")
            let checkpoint = try key.checkpoint(origin: event.origin, epoch: event.epoch, seq: event.seq, hash: computedHash)
            // Ed25519 (RFC 8032) is deterministic: the same key and message give the same signature.
            #expect(checkpoint.signature == vector.signature, "\(vector.name): signature")
            #expect(
                key.publicKey.verifies(Checkpoint(origin: event.origin, epoch: event.epoch, seq: event.seq, hash: vector.hash, signature: vector.signature)))
        }
    }

    @Test func storedFormRoundTripsForEveryVector() throws {
        for vector in try Self.load().vectors {
            guard case .object(var members) = vector.input else { continue }
            members["hash"] = ""
            let event = try Event(json: .object(members))
            let stored = Event(
                v: event.v, origin: event.origin, epoch: event.epoch, seq: event.seq, hlc: event.hlc, dossier: event.dossier,
                seen: event.seen, type: event.type, actor: event.actor, body: event.body, prev: event.prev)
            let reread = try Event(bytes: stored.storedBytes)
            #expect(reread == stored, "\(vector.name)")
            #expect(reread.hashIsValid, "\(vector.name)")
            #expect(reread.storedBytes == stored.storedBytes, "\(vector.name)")
        }
    }
}
