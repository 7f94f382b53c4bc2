import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync

/// The office work of a simulated run: commune clerks receive dossiers, hand them over, forward
/// them to the district, return results, edit contacts, take withdrawal requests and settle
/// conflicts; the district's officers accept, decide and send results back. Every write goes
/// through the real ``Workflow`` and store, so a refused command (the authority table, a wrong
/// state) writes nothing, as at a real counter.
extension Simulation {
    static let procedures = ["1.001193", "1.001776", "1.013978", "1.000656", "1.001776"]
    static let communeStaff = ["cb-tiepnhan-01", "cb-tiepnhan-02", "cb-tuphap-01", "ct-ubnd"]
    static let hubStaff = ["pb-tiepnhan-01", "pb-tnmt-01", "ld-ubnd-huyen", "vh-hethong"]

    func clerkActs(_ node: SimNode) throws {
        guard let database = node.database else { return }
        let wall = { UInt64(max(0, self.local(node))) }
        if chance(30) {
            let intake = Workflow.Intake(
                procedureCode: Self.procedures[below(Self.procedures.count)], applicantName: "Nguyễn Văn \(["An", "Bình", "Chi", "Dũng"][below(4)])",
                idNumber: "0600\(10_000_000 + below(89_999_999))", phone: "09\(10_000_000 + below(89_999_999))", address: "thôn \(1 + below(9))",
                documents: ["Tờ khai"], channel: [.counter, .online, .post][below(3)])
            let write = try database.receive(intake, actor: "cb-tiepnhan-0\(1 + below(2))", workflow: node.workflow, key: node.key, wallMilliseconds: wall)
            record(node, write)
            return
        }
        let dossiers = try database.dossiers(DossierFilter(limit: 5_000))
        guard !dossiers.isEmpty else { return }
        let dossier = dossiers[below(dossiers.count)]
        for _ in 0..<4 {
            let command = communeCommand(dossier: dossier, database: database, node: node)
            let actor = Self.communeStaff[below(Self.communeStaff.count)]
            let write: DossierWrite
            do {
                write = try database.perform(command, on: dossier.code, actor: actor, workflow: node.workflow, key: node.key, wallMilliseconds: wall)
            } catch let error {
                if Self.isRefusal(error) { continue }
                throw error
            }
            record(node, write)
            return
        }
    }

    /// The workflow said no (the authority table, the dossier's state, the input): nothing written.
    static func isRefusal(_ error: StoreError) -> Bool {
        if case .workflow = error { return true }
        return false
    }

    func record(_ node: SimNode, _ write: DossierWrite) {
        for event in write.events { node.saved.append((event.seq, event.hash)) }
        node.engine.handle(.localHead(seq: write.events.last?.seq ?? 0), now: local(node))
        try? drive(node)
    }

    func communeCommand(dossier: DossierSummary, database: NodeDatabase, node: SimNode) -> Workflow.Command {
        if dossier.openConflicts > 0, chance(40), let conflict = try? database.dossier(dossier.code)?.openConflicts.first {
            return .resolveConflict(id: conflict.id, apply: chance(50), note: "đã kiểm tra")
        }
        let appointment = LocalDate(vietnamTimeOf: local(node) + Int64(3 + below(10)) * 86_400_000)
        let commands: [Workflow.Command] = [
            .process(to: "cb-tuphap-01", step: nil), .process(to: "ct-ubnd", step: nil), .forward(agency: "597", reason: "thuộc thẩm quyền huyện"),
            .resolve(approved: chance(85), reason: "theo quy định"), .returnResult, .sendResult, .accept,
            .requestWithdrawal(reason: "công dân xin rút"), .withdraw(reason: "công dân rút hồ sơ"),
            .updateContact(phone: "09\(10_000_000 + below(89_999_999))", email: nil), .note("đã gọi điện cho công dân"),
            .extend(until: appointment, reason: "cần xác minh thêm"), .requestSupplement(reason: "thiếu giấy tờ", documents: ["Bản sao"]),
            .supplementReceived(to: nil), .supplementDelivered(note: "công dân nộp bổ sung tại quầy"),
        ]
        return commands[below(commands.count)]
    }

    func hubClerkActs() throws {
        _ = try ProjectorService.project(SQLiteHubStore(hubDatabase))
        let dossiers = try hubDatabase.dossiers(DossierFilter(limit: 5_000)).filter { $0.owner == hub.identity.origin || $0.openConflicts > 0 }
        guard !dossiers.isEmpty else { return }
        let dossier = dossiers[below(dossiers.count)]
        let wall = { UInt64(max(0, self.hubLocal)) }
        for _ in 0..<4 {
            var command: Workflow.Command
            if dossier.openConflicts > 0, chance(40), let conflict = try hubDatabase.dossier(dossier.code)?.openConflicts.first {
                command = .resolveConflict(id: conflict.id, apply: chance(50), note: "phòng đã kiểm tra")
            } else {
                let commands: [Workflow.Command] = [
                    .accept, .process(to: "pb-tnmt-01", step: nil), .resolve(approved: chance(80), reason: "đủ điều kiện"), .sendResult,
                    .returnToSender(reason: "không thuộc thẩm quyền"), .updateContact(phone: "09\(10_000_000 + below(89_999_999))", email: nil),
                    .note("phòng chuyên môn đã nhận"), .sendResult, .resolve(approved: true, reason: "đủ điều kiện"),
                ]
                command = commands[below(commands.count)]
            }
            do {
                _ = try hub.perform(command, on: dossier.code, actor: Self.hubStaff[below(Self.hubStaff.count)], wallMilliseconds: wall)
            } catch let error {
                if Self.isRefusal(error) { continue }
                // Restored from a backup and still taking its own events back: its decisions wait.
                if case .refused = error, try hubDatabase.hubRecovery()?.isOpen == true { return }
                throw error
            }
            try wakeParkedPulls()
            return
        }
    }
}
