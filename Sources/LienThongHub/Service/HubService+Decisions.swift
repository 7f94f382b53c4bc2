import LienThongCore
import LienThongStore

extension HubService {
    /// A district (or provincial) decision as the hub's own event (`lienthong hub dossier …`): the
    /// hub's workflow checks the authority table on the dossier's visible events, then the event is
    /// appended to the hub's chain and routed to the feeds of the offices that see the dossier, in
    /// one transaction. The projection of the dossier is refreshed in it too.
    public func perform(
        _ command: Workflow.Command, on code: String, actor: String, wallMilliseconds: @escaping () -> UInt64
    ) throws(StoreError) -> DossierWrite {
        try store.transaction("write a hub decision") { transaction in
            // Restored from a backup: no decision until the hub has its own events back.
            if let recovery = try transaction.openRecovery() { throw StoreError.refused(recovery.refusal) }
            let now = Int64(wallMilliseconds())
            let events = try transaction.visibleEvents(ofDossier: code).map(\.event)
            let draft: EventDraft
            do {
                draft = try transaction.currentWorkflow(workflow).draft(command, code: code, events: events, actor: actor, now: now)
            } catch let error as WorkflowError {
                throw StoreError.workflow(error)
            }
            let appended = try transaction.appendOwn([draft], key: key, wallMilliseconds: wallMilliseconds)
            _ = try route(appended, in: transaction, now: now)
            let state = try transaction.refreshProjection(dossier: code, events: events + appended.map(\.event))
            return DossierWrite(events: appended.map(\.event), state: state)
        }
    }
}
