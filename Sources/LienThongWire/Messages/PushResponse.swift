import LienThongCore

/// What the hub did with one origin's batch (DESIGN §5).
public enum PushOutcome: String, Sendable, Hashable, CaseIterable {
    /// New events were durably stored (some may have been held already).
    case stored
    /// The hub already held every event: a re-send changes nothing.
    case duplicate
    /// The batch disagrees with events the hub holds at the same seqs (a node restored from a backup).
    case fork
    /// The batch starts after the hub's head: the node must send from `head.seq + 1`.
    case gap
    /// The epoch was fenced off by the operator after a clone; this machine must not push.
    case epochFenced = "epoch-fenced"
    /// Two machines write as one origin (interleaved histories); the operator must settle it.
    case cloneSuspected = "clone-suspected"
    /// Malformed, badly chained or badly signed: nothing of this batch was stored. `reason` says why.
    case invalid
}

/// The hub's answer for one origin of a push.
public struct OriginResult: Sendable, Hashable {
    public var origin: String
    public var outcome: PushOutcome
    /// The hub's head for the origin after the push: the node may forget nothing, but it knows every
    /// event up to here is stored at the hub.
    public var head: ChainHead
    /// Events newly stored by this request.
    public var stored: Int
    /// Of those, events stored but quarantined (their origin may not touch their dossier).
    public var quarantined: Int
    /// Why, for every outcome but `stored` and `duplicate`.
    public var reason: String?

    public init(origin: String, outcome: PushOutcome, head: ChainHead, stored: Int = 0, quarantined: Int = 0, reason: String? = nil) {
        self.origin = origin
        self.outcome = outcome
        self.head = head
        self.stored = stored
        self.quarantined = quarantined
        self.reason = reason
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "origin": .string(origin), "outcome": .string(outcome.rawValue), "head": head.json, "stored": .integer(stored),
            "quarantined": .integer(quarantined),
        ]
        if let reason { members["reason"] = .string(reason) }
        return .object(members)
    }

    init(json: JSONValue, path: String) throws(WireError) {
        let fields = try Fields(json, path: path)
        let outcomeText = try fields.string("outcome")
        guard let outcome = PushOutcome(rawValue: outcomeText) else {
            throw WireError(field: fields.name("outcome"), expected: PushOutcome.allCases.map(\.rawValue).joined(separator: " | "))
        }
        self.init(
            origin: try fields.string("origin"), outcome: outcome, head: try ChainHead(fields: try fields.object("head")),
            stored: try fields.integer("stored"), quarantined: try fields.integer("quarantined"), reason: try fields.optionalString("reason"))
    }
}

/// The answer to `POST /v1/sync/push`: a result per origin of the request, and the hub's caps.
/// Sent with status 200 only after every stored batch is durable.
public struct PushResponse: Sendable, Hashable {
    public var results: [OriginResult]
    public var caps: HubCaps

    public init(results: [OriginResult], caps: HubCaps) {
        self.results = results
        self.caps = caps
    }

    public var json: JSONValue { ["results": .array(results.map(\.json)), "caps": caps.json] }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(
            results: try fields.list("results") { value, path throws(WireError) in try OriginResult(json: value, path: path) },
            caps: try HubCaps(json: try fields.value("caps")))
    }
}
