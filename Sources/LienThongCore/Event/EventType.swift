/// The event types this version of LienThong writes and understands.
///
/// An event of a type not listed here, from a newer writer, is stored and marks its dossier
/// "needs upgrade" on this replica (DESIGN §2); a writer never appends one.
public enum EventType {
    /// Dossier (hồ sơ) workflow events.
    public static let dossier: Set<String> = [
        "dossier.received", "dossier.handedOver", "dossier.forwarded", "dossier.accepted",
        "dossier.supplementRequested", "dossier.supplementReceived", "dossier.supplementDelivered",
        "dossier.extended", "dossier.stopped", "dossier.refused", "dossier.resolved",
        "dossier.resultSent", "dossier.returnedToSender", "dossier.returned", "dossier.withdrawn",
        "dossier.withdrawalRequested", "dossier.recoded", "dossier.intakeUpdated", "dossier.contactUpdated",
        "dossier.note", "dossier.attachment",
    ]
    /// Conflict settlement.
    public static let conflict: Set<String> = ["conflict.resolved"]
    /// Hub-wide publications, without a dossier.
    public static let hubWide: Set<String> = ["calendar.published", "catalogue.published"]

    /// Every known type.
    public static let known: Set<String> = dossier.union(conflict).union(hubWide)

    /// Whether events of `type` must name a dossier (true) or must not (false).
    public static func requiresDossier(_ type: String) -> Bool {
        !hubWide.contains(type)
    }
}
