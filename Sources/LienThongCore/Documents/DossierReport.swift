/// `dossier show`: a dossier's state, owner, hand-over history (early / on time / late) and
/// conflicts as text, in English labels with the Vietnamese names clerks know.
public enum DossierReport {
    public static func text(_ state: DossierState, staffNames: [String: String], now: Int64) -> String {
        func name(_ id: String) -> String { staffNames[id].map { "\($0) (\(id))" } ?? id }
        func time(_ ms: Int64?) -> String { ms.map(LocalDate.vietnameseDateTime) ?? "—" }
        var lines: [String] = []
        var status = state.status.map { "\($0.rawValue) \($0.vietnamese) (\($0.english))" } ?? "not received"
        if state.hasOpenStatusConflict { status += " — đang có xung đột (open conflict)" }
        if state.isOverdue(at: now) { status += " — quá hạn (overdue)" }
        lines.append("Dossier     \(state.code)")
        lines.append("Status      \(status)")
        lines.append("Owner       \(state.owner ?? "—")   received by \(state.receivingOffice ?? "—") \(state.officeName)")
        lines.append("Procedure   \(state.procedureCode) \(state.procedureName) [\(state.fieldName)] — \(state.duration), decided at \(state.decidingLevel)")
        lines.append("Applicant   \(state.applicant.name), ID \(state.applicant.idNumber), \(state.applicant.address)")
        let contact = state.contact.keys.sorted().map { "\($0) \(state.contact[$0]?.value ?? "")" }.joined(separator: ", ")
        lines.append("Contact     \(contact.isEmpty ? "—" : contact)")
        lines.append("Received    \(time(state.receivedAt)) by \(name(state.receivedBy)), \(Channel(rawValue: state.channel)?.vietnamese ?? state.channel)")
        lines.append("Appointment \(time(state.appointment))" + (state.pausedRemaining != nil ? " (paused for a supplement)" : ""))
        if let decision = state.decision {
            lines.append(
                "Decision    \(decision.approved ? "approved" : "not approved") at \(time(decision.at)) by \(decision.office)\(decision.reason.isEmpty ? "" : ": \(decision.reason)")"
            )
        }
        if !state.handovers.isEmpty {
            lines.append("")
            lines.append("Hand-overs (Phiếu kiểm soát quá trình giải quyết hồ sơ)")
            for (index, handover) in state.handovers.enumerated() {
                let outcome = handover.outcome.map { "\($0.vietnamese) (\($0.rawValue))" } ?? (handover.completedAt == nil ? "đang xử lý (open)" : "—")
                lines.append(
                    "  \(index + 1). \(handover.office) \(name(handover.toActor)) — \(handover.stepName) (\(handover.allottedHours) h): "
                        + "from \(time(handover.at)), due \(time(handover.due)), done \(time(handover.completedAt)) — \(outcome)")
            }
        }
        if !state.requests.isEmpty {
            lines.append("")
            lines.append("Requests for the owner")
            for request in state.requests {
                lines.append(
                    "  \(request.event) \(DossierRules.vietnameseAction(request.type)) at \(time(request.at)) by \(name(request.actor)): \(request.text)")
            }
        }
        if !state.contactOverwrites.isEmpty {
            lines.append("")
            lines.append("Concurrent contact edits (resolved automatically: the later one wins)")
            for overwrite in state.contactOverwrites {
                lines.append(
                    "  \(overwrite.field): kept \"\(overwrite.keptValue)\" (\(overwrite.kept)), overwritten \"\(overwrite.overwrittenValue)\" (\(overwrite.overwritten))"
                )
            }
        }
        if !state.conflicts.isEmpty {
            lines.append("")
            lines.append("Conflicts")
            for conflict in state.conflicts {
                lines.append(
                    "  \(conflict.id) [\(conflict.resolution.rawValue)] \(conflict.type) by \(conflict.origin) \(name(conflict.actor)) at \(time(conflict.at))")
                lines.append("      other side: owner \(conflict.owner), status \(conflict.status), standing event \(conflict.standingEvent)")
                lines.append("      vi: \(conflict.reasonVietnamese)")
                lines.append("      en: \(conflict.reasonEnglish)")
            }
        }
        if !state.notes.isEmpty {
            lines.append("")
            lines.append("Notes")
            for note in state.notes { lines.append("  \(time(note.at)) \(name(note.actor)): \(note.text)") }
        }
        if !state.waiting.isEmpty { lines.append("Waiting for predecessors: \(state.waiting.joined(separator: ", "))") }
        if !state.needsUpgrade.isEmpty {
            lines.append("Needs upgrade (events this version does not understand): \(state.needsUpgrade.joined(separator: ", "))")
        }
        lines.append("State hash  \(state.stateHash)")
        return lines.joined(separator: "\n") + "\n"
    }
}
