import Foundation
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

    /// The event's own writer (member by member) against the generic encoder of its JSON, over
    /// events that take every branch: no dossier, non-ASCII and decomposed text set after init
    /// (the writer normalises), escapes, nested bodies, several `seen` origins, negative numbers.
    @Test func eventWriterMatchesTheGenericEncoder() {
        let decomposed = "Nguyễn Thị Ánh Tuyết".decomposedStringWithCanonicalMapping
        let bodies: [JSONValue] = [
            [:],
            ["text": "Hồ sơ \"đủ\" \\ điều kiện\n\u{01}", "n": -42, "ok": true, "none": nil],
            ["applicant": ["name": .string(decomposed), "docs": ["Tờ khai", "CCCD", .array([1, 2])]], "Zeta": "z", "_": 0, "ưu tiên": "có"],
            ["emoji": "👩🏽‍💼 ΩΔ 漢字 한국어", "ohm": "\u{2126}"],
        ]
        var checked = 0
        for (index, body) in bodies.enumerated() {
            for dossier in [nil, "23059-260105-0000001"] as [String?] {
                var event = Event(
                    origin: "xa-23059", epoch: String(repeating: "a", count: 32), seq: index + 1,
                    hlc: HLC(physical: UInt64(1_700_000_000_000 + index), counter: 3),
                    dossier: dossier, seen: index.isMultiple(of: 2) ? [:] : ["hub-597": 3, "xa-23060": 12, "xa-2306": 1], type: "dossier.note",
                    actor: index == 3 ? "cán bộ" : "cb-01", body: body, prev: index == 0 ? Event.genesisHash : String(repeating: "1", count: 64))
                if index == 2 { event.actor = decomposed }  // set after init: not normalised yet
                #expect(event.canonicalBytes == CanonicalJSON.encode(event.unhashedJSON))
                #expect(event.storedBytes == CanonicalJSON.encode(event.json))
                let sealed = event.sealed()
                #expect(sealed.hash == Digest.sha256Hex(CanonicalJSON.encode(event.unhashedJSON)))
                var hashed = event
                hashed.hash = sealed.hash
                #expect(sealed.stored == CanonicalJSON.encode(hashed.json))
                checked += 1
            }
        }
        #expect(checked == 8)
    }

    @Test func textOutsideTheQuickCheckIsStillNormalised() {
        // A combining mark after a letter of each quick range, and Ω written as OHM SIGN (U+2126, not NFC).
        for text in ["e\u{0301}", "\u{01A1}\u{0303}", "\u{1EA1}\u{0302}", "\u{2126}", "Ωmega e\u{0301}"] {
            // Bytes compared, not Strings: Swift's String equality is canonical equivalence.
            #expect(CanonicalJSON.encode(.string(text)) == Array("\"\(text.precomposedStringWithCanonicalMapping)\"".utf8))
            #expect(CanonicalJSON.encode(.string(text)) != Array("\"\(text)\"".utf8))
        }
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
            variants.append(
                Event(
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
