import LienThongCore

/// Turns drafts into events of one origin (seq, hlc, prev, hash) without a database: for fold
/// tests that need events exactly as a writer would produce them.
public struct EventLogBuilder: Sendable {
    public var origin: String
    public var events: [Event] = []
    var prev = Event.genesisHash
    var seq = 0

    public init(origin: String) { self.origin = origin }

    /// Appends `draft` with the hlc taken from its body's `at` (or the next after the last).
    @discardableResult
    public mutating func add(_ draft: EventDraft, hlc: HLC? = nil) -> Event {
        seq += 1
        let at = draft.body["at"]?.integerValue.map(UInt64.init) ?? 0
        let clock = hlc ?? HybridClock.tick(last: events.last?.hlc ?? .zero, wallMilliseconds: at)
        let event = Event(
            origin: origin, epoch: "0123456789abcdef0123456789abcdef", seq: seq, hlc: clock, dossier: draft.dossier, seen: draft.seen,
            type: draft.type, actor: draft.actor, body: draft.body, prev: prev)
        prev = event.hash
        events.append(event)
        return event
    }
}
