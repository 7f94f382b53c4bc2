/// What a writer wants to record; the event log adds origin, epoch, seq, hlc, prev and hash in the
/// append transaction.
public struct EventDraft: Sendable, Hashable {
    public var dossier: String?
    public var seen: [String: Int]
    public var type: String
    public var actor: String
    public var body: JSONValue

    public init(dossier: String?, seen: [String: Int] = [:], type: String, actor: String, body: JSONValue = [:]) {
        self.dossier = dossier
        self.seen = seen
        self.type = type
        self.actor = actor
        self.body = body
    }
}
