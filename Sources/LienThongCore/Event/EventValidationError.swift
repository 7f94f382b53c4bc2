/// Why an event was refused: the field, what was expected there, and what was found.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's name (`seq`, `body`, `seen.xa-23059`), or `event` for the event as a whole.
    public let field: String
    /// What the field must hold, in words.
    public let expected: String
    /// What was found, in canonical JSON, shortened; nil when nothing was there.
    public let found: String?

    public init(field: String, expected: String, found: JSONValue? = nil) {
        self.field = field
        self.expected = expected
        self.found = found.map { value in
            let text = CanonicalJSON.string(value)
            return text.count > 80 ? String(text.prefix(77)) + "..." : text
        }
    }

    public var description: String {
        "event field '\(field)': expected \(expected), found \(found ?? "nothing")"
    }
}
