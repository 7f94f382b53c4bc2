/// Realistic dossiers for demonstrations, tests and benchmarks: Vietnamese applicants, procedures
/// from the office's catalogue and plausible histories (hand-overs, supplement requests, forwards,
/// decisions, returns, withdrawals). Deterministic for a seed; it only plans — the caller writes
/// through the real workflow.
public struct DemoGenerator: Sendable {
    /// One dossier to receive and the commands (with their actors) to run on it, in order.
    public struct Plan: Sendable {
        public var intake: Workflow.Intake
        public var clerk: String
        public var commands: [(Workflow.Command, String)]
    }

    private var state: UInt64
    private let workflow: Workflow
    private let staff: [String]

    public init(seed: UInt64, workflow: Workflow) {
        self.state = seed
        self.workflow = workflow
        self.staff = workflow.staff.sorted()
    }

    static let familyNames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
    static let middleNames = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Đức", "Thu", "Quốc", "Bảo"]
    static let givenNames = [
        "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Phúc", "Quân", "Sơn", "Tâm", "Thảo",
        "Trang", "Tuấn", "Vy", "Yến",
    ]
    static let hamlets = ["thôn 1", "thôn 2", "thôn 3", "khu phố 1", "khu phố 2", "thôn Lâm Hòa", "thôn Đại Thiện", "thôn Phú Sung"]

    mutating func random() -> UInt64 {
        // SplitMix64.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(random() % UInt64(max(1, bound))) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(below(10))) }) }

    public mutating func next() -> Plan {
        let procedure = pick(workflow.catalogue.procedures)
        let name = "\(pick(Self.familyNames)) \(pick(Self.middleNames)) \(pick(Self.givenNames))"
        let channelRoll = below(100)
        let channel: Channel = channelRoll < 70 ? .counter : channelRoll < 95 ? .online : .post
        let documents = procedure.documents.isEmpty ? ["Tờ khai"] : Array(procedure.documents.prefix(1 + below(procedure.documents.count)))
        let intake = Workflow.Intake(
            procedureCode: procedure.code, applicantName: name, idNumber: "060" + digits(9), phone: "09" + digits(8),
            address: "\(pick(Self.hamlets)), \(workflow.officeName.replacingOccurrences(of: "UBND ", with: ""))", documents: documents,
            channel: channel)
        let clerk = staff.first { $0.contains("tiepnhan") } ?? staff[0]
        let officer = staff.first { !$0.contains("tiepnhan") } ?? staff[0]
        let leader = staff.last ?? staff[0]
        var commands: [(Workflow.Command, String)] = []
        let roll = below(100)
        if roll < 8 { return Plan(intake: intake, clerk: clerk, commands: []) }
        if roll < 12 {
            return Plan(intake: intake, clerk: clerk, commands: [(.withdraw(reason: "Công dân xin rút hồ sơ"), clerk)])
        }
        commands.append((.process(to: officer, step: nil), clerk))
        if chance(20) {
            commands.append((.requestSupplement(reason: "Thiếu bản sao giấy tờ tùy thân", documents: ["Bản sao CCCD"]), officer))
            if chance(80) {
                commands.append((.supplementReceived(to: officer), officer))
            } else {
                return Plan(intake: intake, clerk: clerk, commands: commands)
            }
        }
        if chance(10) { commands.append((.updateContact(phone: "09" + digits(8), email: nil), clerk)) }
        if procedure.decidingLevel != .commune, let target = forwardTarget() {
            commands.append((.forward(agency: target, reason: "Chuyển liên thông theo quy định"), officer))
            if chance(30) { commands.append((.note("Đã gọi điện báo công dân hồ sơ đã chuyển lên cấp trên"), clerk)) }
            return Plan(intake: intake, clerk: clerk, commands: commands)
        }
        if chance(60) { commands.append((.process(to: leader, step: nil), officer)) }
        let approved = chance(90)
        commands.append((.resolve(approved: approved, reason: approved ? "" : "Hồ sơ không đủ điều kiện theo quy định"), leader))
        if chance(75) { commands.append((.returnResult, clerk)) }
        return Plan(intake: intake, clerk: clerk, commands: commands)
    }

    func forwardTarget() -> String? {
        guard let topology = workflow.topology else { return nil }
        return topology.agency(code: workflow.agencyCode)?.parent ?? topology.agencies.first { $0.level != "commune" }?.code
    }
}
