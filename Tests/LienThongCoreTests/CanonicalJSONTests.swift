import LienThongCore
import Testing

@Suite struct CanonicalJSONTests {
    @Test(arguments: [
        (JSONValue.string("a/b"), #""a/b""#),
        (.string("say \"hi\" \\ ok"), #""say \"hi\" \\ ok""#),
        (.string("\u{08}\u{09}\u{0A}\u{0C}\u{0D}"), #""\b\t\n\f\r""#),
        (.string("\u{00}\u{01}\u{1F}\u{7F}"), "\"\\u0000\\u0001\\u001f\u{7F}\""),
        (.integer(-9_007_199_254_740_991), "-9007199254740991"),
        (.integer(0), "0"),
        (JSONValue.object(["b": 1, "a": 2, "B": 3, "_": 4]), #"{"B":3,"_":4,"a":2,"b":1}"#),
        (JSONValue.array([1, "x", nil, true, false, .array([]), .object([:])]), #"[1,"x",null,true,false,[],{}]"#),
    ])
    func encodesAsRFC8785(value: JSONValue, expected: String) {
        #expect(CanonicalJSON.string(value) == expected)
    }

    @Test func composedAndDecomposedVietnameseGiveTheSameBytes() {
        let composed = "Nguyễn Thị Ánh Tuyết, Hàm Thuận Bắc"
        let decomposed = composed.decomposedStringWithCanonicalMapping
        #expect(Array(composed.unicodeScalars) != Array(decomposed.unicodeScalars))
        #expect(CanonicalJSON.encode(.string(decomposed)) == CanonicalJSON.encode(.string(composed)))
        #expect(CanonicalJSON.encode(.string(decomposed)) == Array("\"\(composed)\"".utf8))
    }

    @Test func eventHashIgnoresNormalisationOfItsInput() {
        let decomposed = "Trần Văn Hùng".decomposedStringWithCanonicalMapping
        let a = Event(
            origin: "xa-23059", epoch: String(repeating: "a", count: 32), seq: 1, hlc: HLC(physical: 1, counter: 0),
            dossier: "D-1", type: "dossier.note", actor: "cb-01", body: ["text": .string(decomposed)], prev: Event.genesisHash)
        let b = Event(
            origin: "xa-23059", epoch: String(repeating: "a", count: 32), seq: 1, hlc: HLC(physical: 1, counter: 0),
            dossier: "D-1", type: "dossier.note", actor: "cb-01", body: ["text": "Trần Văn Hùng"], prev: Event.genesisHash)
        #expect(a.hash == b.hash)
        #expect(a == b)
    }

    @Test func anyChangedFieldChangesTheHash() {
        let base = Event(
            origin: "xa-23059", epoch: String(repeating: "a", count: 32), seq: 2, hlc: HLC(physical: 5, counter: 1),
            dossier: "D-1", seen: ["hub-597": 3], type: "dossier.note", actor: "cb-01", body: ["text": "x"],
            prev: String(repeating: "1", count: 64))
        var variants: [Event] = []
        func variant(_ change: (inout Event) -> Void) {
            var copy = base
            change(&copy)
            variants.append(Event(
                v: copy.v, origin: copy.origin, epoch: copy.epoch, seq: copy.seq, hlc: copy.hlc, dossier: copy.dossier,
                seen: copy.seen, type: copy.type, actor: copy.actor, body: copy.body, prev: copy.prev))
        }
        variant { $0.v = 2 }
        variant { $0.origin = "xa-23060" }
        variant { $0.epoch = String(repeating: "b", count: 32) }
        variant { $0.seq = 3 }
        variant { $0.hlc = HLC(physical: 5, counter: 2) }
        variant { $0.dossier = nil }
        variant { $0.seen = ["hub-597": 4] }
        variant { $0.type = "dossier.handedOver" }
        variant { $0.actor = "cb-02" }
        variant { $0.body = ["text": "y"] }
        variant { $0.prev = String(repeating: "2", count: 64) }
        #expect(Set(variants.map(\.hash) + [base.hash]).count == variants.count + 1)
    }
}

@Suite struct JSONParserTests {
    @Test(arguments: [
        #"{"a":1,"a":2}"#,
        "{\"e\u{0301}\":1,\"\u{00E9}\":2}",
        "1.5", "1e3", "-0.0", "01", "9007199254740992", "-9007199254740992",
        #""\ud800""#, #""\udc00x""#, "\"a\u{01}b\"", #""\x""#,
        "[1,]", "{\"a\" 1}", "[1] 2", "", "nul", "{\"a\":}",
        String(repeating: "[", count: 70) + String(repeating: "]", count: 70),
    ])
    func refusesAmbiguousOrUnsupportedInput(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func readsWhatTheEncoderWrites() throws {
        let value: JSONValue = [
            "text": "Hồ sơ \"đất\" / \\ \u{01}\n😀", "n": -9_007_199_254_740_991, "list": [true, false, nil, [:], []],
        ]
        #expect(try JSONParser.parse(CanonicalJSON.encode(value)) == value)
    }

    @Test func readsEscapedSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00 \u00e9""#) == .string("😀 é"))
    }

    @Test func namesTheOffsetOfTheProblem() {
        #expect {
            try JSONParser.parse(#"{"amount": 1.5}"#)
        } throws: { error in
            (error as? JSONParseError)?.offset == 11 && (error as? JSONParseError)?.message.contains("integers only") == true
        }
    }
}
