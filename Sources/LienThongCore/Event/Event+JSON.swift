extension Event {
    /// The fields an event's JSON form has.
    static let fieldNames: Set<String> = [
        "v", "origin", "epoch", "seq", "hlc", "dossier", "seen", "type", "actor", "body", "prev", "hash",
    ]

    /// Reads an event from its JSON form (``json``), keeping the `hash` it carries so that callers
    /// can check it (``hashIsValid``). Every field is required except `dossier`; unknown fields
    /// are refused, since the hash could not cover them.
    public init(json: JSONValue) throws(EventValidationError) {
        guard let members = json.objectValue else {
            throw EventValidationError(field: "event", expected: "a JSON object")
        }
        if let unknown = members.keys.filter({ !Self.fieldNames.contains($0) }).sorted().first {
            throw EventValidationError(
                field: unknown, expected: "no such field: an event has only \(Self.fieldNames.sorted().joined(separator: ", "))")
        }
        func string(_ key: String) throws(EventValidationError) -> String {
            guard let value = members[key]?.stringValue else {
                throw EventValidationError(field: key, expected: "a string", found: members[key])
            }
            return value
        }
        func integer(_ key: String) throws(EventValidationError) -> Int {
            guard let value = members[key]?.integerValue else {
                throw EventValidationError(field: key, expected: "an integer", found: members[key])
            }
            return value
        }
        let hlcText = try string("hlc")
        guard let hlc = HLC(hex: hlcText) else {
            throw EventValidationError(field: "hlc", expected: "16 lowercase hex digits", found: .string(hlcText))
        }
        var dossier: String?
        switch members["dossier"] {
        case nil: dossier = nil
        case .string(let code)?: dossier = code
        case let other?: throw EventValidationError(field: "dossier", expected: "a string or no field", found: other)
        }
        guard let seenMembers = members["seen"]?.objectValue else {
            throw EventValidationError(field: "seen", expected: "an object of origin → seq", found: members["seen"])
        }
        var seen: [String: Int] = [:]
        for (origin, value) in seenMembers {
            guard let seq = value.integerValue else {
                throw EventValidationError(field: "seen.\(origin)", expected: "an integer seq", found: value)
            }
            seen[origin] = seq
        }
        guard let body = members["body"], body.objectValue != nil else {
            throw EventValidationError(field: "body", expected: "a JSON object", found: members["body"])
        }
        self.init(
            v: try integer("v"), origin: try string("origin"), epoch: try string("epoch"), seq: try integer("seq"),
            hlc: hlc, dossier: dossier, seen: seen, type: try string("type"), actor: try string("actor"), body: body,
            prev: try string("prev"), hash: try string("hash"))
    }

    /// Reads an event from stored or received bytes.
    public init(bytes: some Collection<UInt8>) throws(EventValidationError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw EventValidationError(field: "event", expected: "valid JSON (\(error.description))")
        }
        try self.init(json: value)
    }
}
