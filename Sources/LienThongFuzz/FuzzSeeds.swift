import LienThongCore
import LienThongWire

/// The inputs each target's corpus starts from (`lienthong-fuzz seeds DIR`): real events of the
/// shapes a commune writes — a receipt with Vietnamese text, a note written decomposed (not NFC), a
/// forward, a hub-wide publication without a dossier — as stored rows, chains, a signed push
/// body and gzip bodies. libFuzzer mutates from here; the corpus it grows is committed under
/// Tests/Fixtures/fuzz.
public enum FuzzSeeds {
    public static let origin = "xa-23059"
    public static let epoch = "5f3c1a7e9b2d4c6e8f0a1b2c3d4e5f60"

    /// A chain of one origin, seq 1 on, linked from the genesis hash.
    public static func chain() -> [Event] {
        let code = "23059-261122-0001"
        let start: UInt64 = 1_795_369_200_000
        let bodies: [(type: String, dossier: String?, seen: [String: Int], body: JSONValue)] = [
            (
                "dossier.received", code, [:],
                [
                    "procedure": "1.001193", "applicant": "Nguyễn Thị Ánh Tuyết", "idNumber": "060190001234",
                    "phone": "0912345678", "address": "Thôn Lâm Hòa, xã Hàm Trí, huyện Hàm Thuận Bắc",
                    "documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"], "channel": "counter",
                    "appointment": "2026-11-24", "at": .integer(Int(start)),
                ]
            ),
            // "Ghi chú: hồ sơ đủ" with its marks as combining characters (NFD), as some keyboards send.
            ("dossier.note", code, [:], ["text": "Ghi chu\u{301}: ho\u{302}\u{300} so\u{31b}\u{302} \u{111}u\u{309}", "at": .integer(Int(start) + 60_000)]),
            ("dossier.forwarded", code, ["huyen-hamthuanbac": 12], ["to": "huyen-hamthuanbac", "reason": "Liên thông lên huyện"]),
            (
                "calendar.published", nil, [:],
                ["year": 2026, "daysOff": ["2026-04-30", "2026-05-01", "2026-09-02"], "escape": "tab\there \"quoted\" \\ \u{1}"]
            ),
            ("dossier.resolved", code, ["tinh-binhthuan": 3], ["decision": "approved", "nested": ["a": [1, -2, 9_007_199_254_740_991, true, false, nil]]]),
        ]
        var events: [Event] = []
        var prev = Event.genesisHash
        for (index, item) in bodies.enumerated() {
            let event = Event(
                origin: origin, epoch: epoch, seq: index + 1, hlc: HLC(physical: start + UInt64(index) * 1_000, counter: UInt16(index)),
                dossier: item.dossier, seen: item.seen, type: item.type, actor: "cb-tiepnhan-01", body: item.body, prev: prev)
            prev = event.hash
            events.append(event)
        }
        return events
    }

    /// A push body of `events`, signed with ``FuzzTarget/key``.
    public static func push(_ events: [Event], includesHashes: Bool = false) -> PushRequest {
        let last = events[events.count - 1]
        // The fuzz key signs: this cannot fail.
        let checkpoint = try! FuzzTarget.key.checkpoint(origin: last.origin, epoch: last.epoch, seq: last.seq, hash: last.hash)
        var batch = PushBatch(events: events, checkpoint: checkpoint)
        batch.includesHashes = includesHashes
        return PushRequest(node: origin, batches: [batch])
    }

    static func gzip(_ bytes: [UInt8], limit: UInt16) -> [UInt8] {
        // Compressing bytes in memory cannot fail.
        [UInt8(limit >> 8), UInt8(limit & 0xFF)] + (try! Gzip.compress(bytes))
    }

    /// The seed inputs of `target`.
    public static func seeds(for target: FuzzTarget) -> [[UInt8]] {
        let events = chain()
        let rows = events.map(\.storedBytes)
        let pushBody = push(events).bytes
        switch target {
        case .eventDecoder:
            return rows + [
                Array(
                    #"{"v":1,"origin":"xa-23059","epoch":"5f3c1a7e9b2d4c6e8f0a1b2c3d4e5f60","seq":1,"hlc":"01a1ee5661e80001","seen":{},"type":"dossier.note","actor":"cb-tiepnhan-01","body":{"text":"Nguye\u0302\u0303n"},"prev":"0000000000000000000000000000000000000000000000000000000000000000","hash":"00"}"#
                        .utf8)
            ]
        case .canonicalEncoder:
            return rows + [
                Array(
                    #"{"b":[1,-2,true,false,null,"e\u0301"],"a":{"ễ":"x","\u1ec5x":1},"s":"\b\f\n\r\t\u0001\u001f\"\\\/","u":"\ud83d\ude00","n":-9007199254740991}"#
                        .utf8),
                Array(#"  [ {} , [] , "" , 0 ]  "#.utf8),
            ]
        case .chainVerifier:
            let joined = rows.joined(separator: [0x0A]).map { $0 }
            let gapped = Array("gaps\n".utf8) + [rows[0], rows[2], rows[4]].joined(separator: [0x0A]).map { $0 }
            // Rows whose key columns differ from their events' (see FuzzTarget.chainVerifier).
            let tweaked = [rows[0], Array("#".utf8) + rows[1], Array("@".utf8) + rows[1], Array("+".utf8) + rows[2]]
                .joined(separator: [0x0A]).map { $0 }
            return [joined, gapped, rows[0], tweaked]
        case .pushRequest:
            return [pushBody, push(events, includesHashes: true).bytes, push(Array(events.prefix(1))).bytes]
        case .gzipInflation:
            return [
                gzip(pushBody, limit: 0xFFFF),
                gzip(pushBody, limit: UInt16(pushBody.count)),
                gzip(pushBody, limit: UInt16(pushBody.count - 1)),
                gzip(Array(repeating: 0x20, count: 200_000), limit: 0xFFFF),
                gzip([], limit: 0),
                [0x00, 0x10] + Array("not gzip".utf8),
            ]
        }
    }
}
