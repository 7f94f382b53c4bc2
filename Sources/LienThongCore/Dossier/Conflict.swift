/// A disagreement the fold found: an event its writer was not allowed to write at its place in
/// the order. The event stays in the log, unapplied, until a person settles it with
/// `conflict.resolved` (DESIGN §3). Its id is the event's `<origin>-<seq>`, the same on every
/// replica.
public struct Conflict: Sendable, Hashable, Identifiable {
    public enum Resolution: String, Sendable, Hashable {
        case open, applied, dismissed
    }

    /// `<origin>-<seq>` of the event that could not be applied.
    public var id: String
    public var type: String
    public var origin: String
    public var actor: String
    public var at: Int64
    /// The other side: who owned the dossier and its status when the event came in the order.
    public var owner: String
    public var status: String
    /// The event that last changed owner or status before it.
    public var standingEvent: String
    public var reasonVietnamese: String
    public var reasonEnglish: String
    public var resolution: Resolution
    public var resolvedBy: String?
    public var resolutionNote: String?

    public var isOpen: Bool { resolution == .open }

    /// Whether the event would have changed the dossier's status or owner.
    public var affectsStatus: Bool { DossierRules.changesStatus(type) }
}
