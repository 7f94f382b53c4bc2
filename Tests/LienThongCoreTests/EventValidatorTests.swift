import LienThongCore
import LienThongTesting
import Testing

@Suite struct EventValidatorTests {
    static let epoch = "5f3c1a7e9b2d4c6e8f0a1b2c3d4e5f60"

    static func event(
        v: Int = 1, origin: String = "xa-23059", epoch: String = epoch, seq: Int = 1, dossier: String? = "23059-261122-0001",
        seen: [String: Int] = [:], type: String = "dossier.note", actor: String = "cb-01", body: JSONValue = [:],
        prev: String = Event.genesisHash
    ) -> Event {
        Event(
            v: v, origin: origin, epoch: epoch, seq: seq, hlc: HLC(physical: 1_795_000_000_000, counter: 0), dossier: dossier,
            seen: seen, type: type, actor: actor, body: body, prev: prev)
    }

    @Test func acceptsAWellFormedEvent() throws {
        #expect(try EventValidator().validate(Self.event()) == .current)
        #expect(try EventValidator().validate(Self.event(dossier: nil, type: "calendar.published")) == .current)
    }

    @Test(arguments: [
        (event(v: 0), "v"),
        (event(origin: "XA-1"), "origin"),
        (event(origin: ""), "origin"),
        (event(origin: "-xa"), "origin"),
        (event(epoch: "abc"), "epoch"),
        (event(seq: 0), "seq"),
        (event(dossier: "has space"), "dossier"),
        (event(dossier: ""), "dossier"),
        (event(seen: ["hub-597": 0]), "seen.hub-597"),
        (event(seen: ["Hub 597": 1]), "seen"),
        (event(type: "received"), "type"),
        (event(type: "dossier.Received"), "type"),
        (event(actor: ""), "actor"),
        (event(actor: "a\nb"), "actor"),
        (event(body: [1, 2]), "body"),
        (event(body: "text"), "body"),
        (event(body: ["tên": "x"]), "body"),
        (event(seq: 2, prev: Event.genesisHash), "prev"),
        (event(seq: 1, prev: String(repeating: "1", count: 64)), "prev"),
        (event(prev: "XYZ"), "prev"),
        (event(dossier: nil), "dossier"),
        (event(type: "calendar.published"), "dossier"),
        (event(body: ["text": .string(String(repeating: "x", count: 64 * 1024))]), "event"),
    ])
    func refusesNamingTheField(event: Event, field: String) {
        #expect {
            _ = try EventValidator().validate(event)
        } throws: { error in
            (error as? EventValidationError)?.field == field
        }
    }

    /// Regression (found by the event-decoder fuzz target): with two bad `seen` entries the error
    /// named whichever the dictionary listed first, which depends on how the dictionary was built;
    /// the same event read twice could be refused for two different reasons.
    @Test func twoBadSeenEntriesAreAlwaysRefusedNamingTheSameOne() {
        var fields: Set<String> = []
        for capacity in 0..<64 {
            var seen = [String: Int](minimumCapacity: capacity)
            seen["huyen-hamthuanbac"] = 0
            seen["Xa 23059"] = 12
            do throws(EventValidationError) {
                _ = try EventValidator().validate(Self.event(seen: seen))
                Issue.record("an event with two bad seen entries was accepted")
            } catch {
                fields.insert(error.field)
            }
        }
        // "Xa 23059" sorts first (uppercase before lowercase), and is not an origin id.
        #expect(fields == ["seen"])
    }

    /// Regression (found by the push-request fuzz target): a body with two keys that are not
    /// printable ASCII was refused naming whichever its dictionary listed first, so the same push
    /// read twice got two different reasons.
    @Test func aBodyWithTwoBadKeysIsAlwaysRefusedNamingTheSameOne() {
        var messages: Set<String> = []
        for capacity in 0..<64 {
            var members = [String: JSONValue](minimumCapacity: capacity)
            members["Giấy chứng sinh"] = "có"
            members["procedure"] = "1.001193"
            members[String(repeating: "A", count: 65)] = 1
            do throws(EventValidationError) {
                _ = try EventValidator().validate(Self.event(body: .object(members)))
                Issue.record("a body with keys that are not printable ASCII was accepted")
            } catch {
                messages.insert(error.description)
            }
        }
        #expect(messages.count == 1)
        #expect(messages.first?.contains("AAAA") == true)
    }

    @Test func sizeCapIsSixtyFourKibibytesOfStoredBytes() throws {
        let empty = Self.event(body: ["text": ""])
        let room = EventValidator.maxEventBytes - empty.storedBytes.count
        let fits = Self.event(body: ["text": .string(String(repeating: "x", count: room))])
        #expect(fits.storedBytes.count == EventValidator.maxEventBytes)
        #expect(try EventValidator().validate(fits) == .current)
        let tooBig = Self.event(body: ["text": .string(String(repeating: "x", count: room + 1))])
        #expect(throws: EventValidationError.self) { try EventValidator().validate(tooBig) }
    }

    @Test func newerVersionOrUnknownTypeIsKeptForUpgrade() throws {
        if case .needsUpgrade = try EventValidator().validate(Self.event(v: 2)) {} else { Issue.record("v 2 should need an upgrade") }
        if case .needsUpgrade = try EventValidator().validate(Self.event(type: "dossier.somethingNew")) {
        } else {
            Issue.record("an unknown type should need an upgrade")
        }
    }

    @Test func errorMessageNamesFieldExpectationAndFinding() {
        let error = EventValidationError(field: "seq", expected: "an integer from 1 to 2^53-1", found: .integer(0))
        #expect(error.description == "event field 'seq': expected an integer from 1 to 2^53-1, found 0")
    }

    @Test func readingRefusesUnknownAndMissingFields() throws {
        var members = try #require(Self.event().json.objectValue)
        members["extra"] = 1
        #expect(
            throws: EventValidationError(
                field: "extra", expected: "no such field: an event has only actor, body, dossier, epoch, hash, hlc, origin, prev, seen, seq, type, v")
        ) {
            try Event(json: .object(members))
        }
        members["extra"] = nil
        members["seq"] = nil
        #expect(throws: EventValidationError(field: "seq", expected: "an integer")) { try Event(json: .object(members)) }
    }
}

@Suite struct CheckpointTests {
    @Test func signatureCoversOriginEpochSeqAndHash() throws {
        let key = Fixtures.testKey()
        let checkpoint = try key.checkpoint(origin: "xa-23059", epoch: EventValidatorTests.epoch, seq: 7, hash: String(repeating: "a", count: 64))
        #expect(key.publicKey.verifies(checkpoint))
        let altered = [
            Checkpoint(origin: "xa-23060", epoch: checkpoint.epoch, seq: 7, hash: checkpoint.hash, signature: checkpoint.signature),
            Checkpoint(origin: checkpoint.origin, epoch: String(repeating: "0", count: 32), seq: 7, hash: checkpoint.hash, signature: checkpoint.signature),
            Checkpoint(origin: checkpoint.origin, epoch: checkpoint.epoch, seq: 8, hash: checkpoint.hash, signature: checkpoint.signature),
            Checkpoint(origin: checkpoint.origin, epoch: checkpoint.epoch, seq: 7, hash: String(repeating: "b", count: 64), signature: checkpoint.signature),
        ]
        for checkpoint in altered { #expect(!key.publicKey.verifies(checkpoint)) }
        #expect(!SigningKey().publicKey.verifies(checkpoint))
    }

    @Test func messageIsThePrefixAndCanonicalFields() {
        let message = Checkpoint.message(origin: "xa-1", epoch: "e", seq: 3, hash: "h")
        #expect(String(decoding: message, as: UTF8.self) == "lienthong-checkpoint-v1\n{\"epoch\":\"e\",\"hash\":\"h\",\"origin\":\"xa-1\",\"seq\":3}")
    }

    @Test func keysRoundTripThroughHex() throws {
        let key = SigningKey()
        let reread = try SigningKey(seedHex: key.seedHex)
        #expect(reread.publicKey == key.publicKey)
        #expect(try VerifyingKey(hex: key.publicKey.hex) == key.publicKey)
        #expect(throws: KeyError.self) { try SigningKey(seedHex: "abcd") }
        #expect(throws: KeyError.self) { try VerifyingKey(hex: "zz") }
    }
}
