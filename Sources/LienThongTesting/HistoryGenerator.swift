import LienThongCore

/// Seeded dossier histories written at three origins — a commune (`xa-23059`), another commune
/// (`xa-23062`) and the district hub (`hub-597`) — each with its own replica, clock (one may run a
/// day ahead) and partial, lagging view of the others' events. Writers mostly act as their view
/// allows and sometimes act wrongly or on a stale view, so forwards, returns, concurrent edits,
/// requests, conflicts and resolutions all occur. Deterministic for a seed.
public struct HistoryGenerator {
    public static let origins = ["xa-23059", "xa-23062", "hub-597"]

    /// One generated history: every event written, and the dossiers they are about.
    public struct History: Sendable {
        public var seed: UInt64
        public var events: [Event]
        public var dossiers: [String]
    }

    struct Replica {
        var origin: String
        var seq = 0
        var prev = Event.genesisHash
        var clock = HLC.zero
        var skew: Int64
        var events: [String: Event] = [:]
    }

    var random: SeededGenerator
    var replicas: [Replica]
    var wall: Int64
    var dossiers: [String] = []
    var written: [Event] = []

    /// 2026-11-23 08:00 in Vietnam, Unix ms.
    static let start: Int64 = 1_795_395_600_000

    public static func make(seed: UInt64, steps: Int = 60) -> History {
        var generator = HistoryGenerator(seed: seed)
        for _ in 0..<steps { generator.step() }
        return History(seed: seed, events: generator.written, dossiers: generator.dossiers)
    }

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
        wall = Self.start
        replicas = []
        for origin in Self.origins {
            replicas.append(Replica(origin: origin, skew: 0))
        }
        // Now and then one office's clock runs up to a day ahead or behind.
        if below(4) == 0 { replicas[below(3)].skew = Int64(below(48 * 60) - 24 * 60) * 60_000 }
    }

    mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(max(1, bound))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func step() {
        wall += Int64(1 + below(90)) * 60_000
        if chance(40) { deliver() } else { write(by: below(3)) }
    }

    /// Copies a random part of one replica's events to another, merging clocks.
    mutating func deliver() {
        let from = below(3)
        var to = below(3)
        if to == from { to = (to + 1) % 3 }
        for key in replicas[from].events.keys.sorted() where chance(70) {
            guard let event = replicas[from].events[key], replicas[to].events[key] == nil else { continue }
            replicas[to].events[key] = event
            let local = UInt64(wall + replicas[to].skew)
            replicas[to].clock = HybridClock.receive(remote: event.hlc, last: replicas[to].clock, wallMilliseconds: local).local
        }
    }

    mutating func write(by index: Int) {
        let origin = replicas[index].origin
        let known = dossiers.filter { code in replicas[index].events.values.contains { $0.dossier == code } }
        if origin.hasPrefix("xa-"), dossiers.count < 3, known.isEmpty || chance(15) {
            let code = "\(origin == "xa-23059" ? "23059" : "23062")-261123-\(LocalDate.pad(dossiers.count + 1, 4))"
            dossiers.append(code)
            append(index, code: code, type: "dossier.received", body: receivedBody(at: localWall(index)), seen: [:])
            return
        }
        guard !known.isEmpty else { return }
        let code = known[below(known.count)]
        let view = replicas[index].events.values.filter { $0.dossier == code }
        let state = DossierFold.fold(code: code, events: view)
        let seen = DossierFold.seen(of: view)
        let at = localWall(index)

        // Resolve an open conflict now and then (the owner or the hub operator).
        if let conflict = state.openConflicts.first, origin == state.owner || origin.hasPrefix("hub-"), chance(50) {
            let body: JSONValue = [
                "at": .integer(Int(at)), "conflict": .string(conflict.id), "action": .string(chance(50) ? "apply" : "dismiss"), "note": "đã kiểm tra",
            ]
            append(index, code: code, type: "conflict.resolved", body: body, seen: seen)
            return
        }
        let types = Self.dossierTypes
        var candidates = types.filter { DossierRules.check(type: $0, origin: origin, state: state) == nil }
        if candidates.isEmpty || chance(12) { candidates = types }
        let type = candidates[below(candidates.count)]
        append(index, code: code, type: type, body: body(for: type, origin: origin, at: at, state: state), seen: seen)
    }

    static let dossierTypes = [
        "dossier.handedOver", "dossier.forwarded", "dossier.accepted", "dossier.supplementRequested", "dossier.supplementReceived",
        "dossier.supplementDelivered", "dossier.extended", "dossier.stopped", "dossier.refused", "dossier.resolved", "dossier.resultSent",
        "dossier.returnedToSender", "dossier.returned", "dossier.withdrawn", "dossier.withdrawalRequested", "dossier.intakeUpdated",
        "dossier.contactUpdated", "dossier.note", "dossier.attachment",
    ]

    func localWall(_ index: Int) -> Int64 { wall + replicas[index].skew }

    mutating func body(for type: String, origin: String, at: Int64, state: DossierState) -> JSONValue {
        var body: [String: JSONValue] = ["at": .integer(Int(at))]
        switch type {
        case "dossier.handedOver":
            body["to"] = .string(["cb-tuphap-01", "ct-ubnd", "cv-huyen-01"][below(3)])
            body["step"] = ["id": "tham-dinh", "name": "Thẩm định", "hours": 4, "due": .integer(Int(at + Int64(below(3)) * 4 * 3_600_000))]
        case "dossier.forwarded":
            let targets = Self.origins.filter { $0 != origin }
            body["to"] = .string(origin.hasPrefix("xa-") && chance(75) ? "hub-597" : targets[below(targets.count)])
        case "dossier.resolved":
            body["decision"] = .string(chance(85) ? "approved" : "refused")
            body["reason"] = "theo quy định"
        case "dossier.supplementRequested":
            body["reason"] = "thiếu giấy tờ"
            body["remaining"] = .integer(below(960))
        case "dossier.supplementReceived", "dossier.extended":
            body["appointment"] = .integer(Int(at + Int64(1 + below(10)) * 86_400_000))
        case "dossier.contactUpdated":
            var fields: [String: JSONValue] = [:]
            if chance(70) { fields["phone"] = .string("09\(10_000_000 + below(89_999_999))") }
            if fields.isEmpty || chance(30) { fields["email"] = .string("cd\(below(1000))@example.vn") }
            body["fields"] = .object(fields)
        case "dossier.intakeUpdated":
            body["fields"] = ["address": .string("thôn \(below(9) + 1)")]
        case "dossier.note":
            body["text"] = "đã gọi điện cho công dân"
        case "dossier.attachment":
            body["name"] = "scan.pdf"
        default:
            body["reason"] = "lý do"
        }
        return .object(body)
    }

    func receivedBody(at: Int64) -> JSONValue {
        [
            "at": .integer(Int(at)), "receivedAt": .integer(Int(at)), "agency": "23059", "office": "UBND thị trấn Ma Lâm", "channel": "counter",
            "procedure": [
                "code": "1.001193", "name": "Đăng ký khai sinh", "version": "2025.1", "field": ["code": "ho-tich", "name": "Hộ tịch"],
                "decidingLevel": "commune", "duration": ["kind": "workingDays", "value": 3], "supplement": "pause",
                "steps": [["id": "tiep-nhan", "name": "Tiếp nhận", "hours": 4], ["id": "tham-dinh", "name": "Thẩm định", "hours": 20]],
            ],
            "applicant": ["name": "Nguyễn Văn An", "idNumber": "060090001234", "address": "thôn 1"],
            "contact": ["phone": "0912345678"], "documents": ["Tờ khai"], "appointment": .integer(Int(at + 3 * 86_400_000)),
            "calendar": "2026.1", "step": ["id": "tiep-nhan", "name": "Tiếp nhận", "hours": 4, "due": .integer(Int(at + 4 * 3_600_000))],
        ]
    }

    mutating func append(_ index: Int, code: String, type: String, body: JSONValue, seen: [String: Int]) {
        var replica = replicas[index]
        replica.clock = HybridClock.tick(last: replica.clock, wallMilliseconds: UInt64(max(0, wall + replica.skew)))
        replica.seq += 1
        let actor = replica.origin.hasPrefix("hub-") ? "cv-huyen-01" : ["cb-tiepnhan-01", "cb-tuphap-01", "ct-ubnd"][below(3)]
        let event = Event(
            origin: replica.origin, epoch: "0123456789abcdef0123456789abcdef", seq: replica.seq, hlc: replica.clock, dossier: code, seen: seen,
            type: type, actor: actor, body: body, prev: replica.prev)
        replica.prev = event.hash
        replica.events["\(event.origin)-\(event.seq)"] = event
        replicas[index] = replica
        written.append(event)
    }
}
