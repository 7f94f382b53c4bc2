import LienThongCore

/// A message that is not what the sync protocol (DESIGN §5) says: which field, and what was expected.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A dotted path into the message, such as `batches[0].events[3].seq`.
    public var field: String
    public var expected: String

    public init(field: String, expected: String) {
        self.field = field
        self.expected = expected
    }

    public var description: String { "\(field): expected \(expected)" }
}

/// Reads the members of one JSON object of a message, naming the path of whatever is wrong.
struct Fields {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(WireError) {
        guard let members = value.objectValue else { throw WireError(field: path.isEmpty ? "message" : path, expected: "a JSON object") }
        self.members = members
        self.path = path
    }

    /// Parses a whole message body.
    init(bytes: some Collection<UInt8>) throws(WireError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw WireError(field: "message", expected: "JSON (\(error))")
        }
        try self.init(value, path: "")
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func value(_ key: String) throws(WireError) -> JSONValue {
        guard let value = members[key] else { throw WireError(field: name(key), expected: "a value; it is missing") }
        return value
    }

    func string(_ key: String) throws(WireError) -> String {
        guard let text = try value(key).stringValue else { throw WireError(field: name(key), expected: "a string") }
        return text
    }

    /// A node id (`xa-23059`): checked here so that no answer ever quotes a malformed one back.
    func node(_ key: String) throws(WireError) -> String {
        let text = try string(key)
        do throws(EventValidationError) {
            try EventValidator.checkOrigin(text, field: key)
        } catch {
            throw WireError(field: name(key), expected: "a node id of 1 to 64 lowercase letters, digits and '-', such as xa-23059")
        }
        return text
    }

    func optionalString(_ key: String) throws(WireError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw WireError(field: name(key), expected: "a string") }
        return text
    }

    func integer(_ key: String) throws(WireError) -> Int {
        guard let number = try value(key).integerValue else { throw WireError(field: name(key), expected: "an integer") }
        return number
    }

    func optionalInteger(_ key: String) throws(WireError) -> Int? {
        guard let value = members[key], value != .null else { return nil }
        guard let number = value.integerValue else { throw WireError(field: name(key), expected: "an integer") }
        return number
    }

    func bool(_ key: String) throws(WireError) -> Bool {
        guard case .bool(let flag) = try value(key) else { throw WireError(field: name(key), expected: "true or false") }
        return flag
    }

    func array(_ key: String) throws(WireError) -> [JSONValue] {
        guard case .array(let items) = try value(key) else { throw WireError(field: name(key), expected: "an array") }
        return items
    }

    func object(_ key: String) throws(WireError) -> Fields { try Fields(try value(key), path: name(key)) }

    func optionalObject(_ key: String) throws(WireError) -> Fields? {
        guard let value = members[key], value != .null else { return nil }
        return try Fields(value, path: name(key))
    }

    /// Decodes each element of the array at `key` with `decode`, passing its path.
    func list<T>(_ key: String, _ decode: (JSONValue, String) throws(WireError) -> T) throws(WireError) -> [T] {
        var result: [T] = []
        for (index, item) in try array(key).enumerated() {
            result.append(try decode(item, "\(name(key))[\(index)]"))
        }
        return result
    }
}

extension JSONValue {
    /// The compact canonical bytes of a message (RFC 8785), the form every message is sent in.
    var messageBytes: [UInt8] { CanonicalJSON.encode(self) }
}

extension Event {
    /// Reads an event of a message at `path`, naming the field that is wrong.
    init(wire value: JSONValue, path: String) throws(WireError) {
        do throws(EventValidationError) {
            self = try Event(json: value)
        } catch {
            throw WireError(field: "\(path).\(error.field)", expected: error.expected)
        }
    }
}
