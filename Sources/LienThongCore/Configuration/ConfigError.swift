/// A configuration file (calendar, procedure catalogue, topology, staff list) that LienThong
/// cannot use: which file, which field, what was expected and what was found.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// A dotted path into the file, such as `procedures[3].steps`; empty for the whole file.
    public var field: String
    public var expected: String
    public var found: String

    public init(file: String, field: String, expected: String, found: String) {
        self.file = file
        self.field = field
        self.expected = expected
        self.found = found
    }

    public var description: String {
        let place = field.isEmpty ? file : "\(file): \(field)"
        return "\(place): expected \(expected), found \(found). Fix the file and run the command again."
    }

    /// A short, readable description of a JSONDecoder error.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "no \"\(key.stringValue)\" at \(path(context).isEmpty ? "top level" : path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(context.debugDescription) at \(path(context))"
        case .dataCorrupted(let context): return "invalid JSON (\(context.debugDescription)) \(path(context))"
        @unknown default: return String(describing: error)
        }
    }
}
