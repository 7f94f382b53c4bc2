import Foundation
import Hummingbird
import LienThongCore

/// One HTTP request and its answer, as a test client saw them (bodies uncompressed).
public struct HTTPExchange: Sendable {
    public var method: String
    public var path: String
    public var query: [String]
    public var requestBody: [UInt8]?
    public var status: Int
    public var responseBody: [UInt8]

    public init(method: String, path: String, query: [String] = [], requestBody: [UInt8]?, status: Int, responseBody: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.requestBody = requestBody
        self.status = status
        self.responseBody = responseBody
    }
}

/// Exchanges collected by a test, from any thread.
public final class ExchangeRecorder: @unchecked Sendable {
    // Safe: `recorded` is only touched under `lock`.
    private let lock = NSLock()
    private var recorded: [HTTPExchange] = []

    public init() {}

    public func record(_ exchange: HTTPExchange) { lock.withLock { recorded.append(exchange) } }

    public var exchanges: [HTTPExchange] { lock.withLock { recorded } }
}

/// An OpenAPI 3.1 document (Docs/openapi-*.json) as the tests use it: its operations, to compare
/// with a router's routes, and its schemas, to validate the requests and answers tests record.
/// The validator covers the JSON Schema keywords the documents use: $ref, type, properties,
/// required, additionalProperties, items, enum, const, minimum, maximum, minLength, maxLength, pattern.
public struct OpenAPIContract: Sendable {
    public let document: JSONValue

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError(description: "cannot read \(path)") }
        document = try JSONParser.parse([UInt8](data))
    }

    /// The document's operations as "METHOD /path/{param}".
    public var operations: Set<String> {
        var result: Set<String> = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys where ["get", "post", "put", "delete", "patch", "options"].contains(method) {
                result.insert("\(method.uppercased()) \(path)")
            }
        }
        return result
    }

    /// A router's routes in the document's form, "METHOD /path/{param}" (Hummingbird writes a
    /// capture as `:param`): what ``operations`` is compared with.
    public static func operations<Context: RequestContext>(of router: Router<Context>) -> Set<String> {
        Set(
            router.routes.map { route in
                let path = "\(route.path)".split(separator: "/", omittingEmptySubsequences: false)
                    .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
                return "\(route.method) \(path)"
            })
    }

    /// Everything about `exchanges` the document does not allow, one line each (empty: all conform).
    public func problems(_ exchanges: [HTTPExchange]) -> [String] {
        exchanges.flatMap { problems($0) }
    }

    public func problems(_ exchange: HTTPExchange) -> [String] {
        let name = "\(exchange.method) \(exchange.path) → \(exchange.status)"
        guard let (template, operation) = self.operation(method: exchange.method, path: exchange.path) else {
            return ["\(name): no such operation in the document"]
        }
        var found: [String] = []
        let parameters = (operation["parameters"].flatMap { if case .array(let items) = $0 { items } else { nil } } ?? []).map(resolve)
        let documentedQuery = Set(parameters.filter { $0["in"]?.stringValue == "query" }.compactMap { $0["name"]?.stringValue })
        for key in exchange.query where !documentedQuery.contains(key) { found.append("\(name): query parameter \(key) is not in \(template)") }
        // A request the server refused may break the schema on purpose (a test of bad input); one it
        // accepted must not.
        if exchange.status < 400, let body = exchange.requestBody, !body.isEmpty,
            let schema = operation["requestBody"]?["content"]?["application/json"]?["schema"]
        {
            do {
                found += validate(try JSONParser.parse(body), against: schema, at: "request")
            } catch {
                found.append("\(name): the request body is not JSON")
            }
        }
        guard let response = operation["responses"]?[String(exchange.status)] else {
            return found + ["\(name): status \(exchange.status) is not documented for \(template)"]
        }
        if let schema = resolve(response)["content"]?["application/json"]?["schema"] {
            do {
                found += validate(try JSONParser.parse(exchange.responseBody), against: schema, at: "response")
            } catch {
                found.append("\(name): the answer is not JSON")
            }
        }
        return found.map { $0.hasPrefix(name) ? $0 : "\(name): \($0)" }
    }

    /// The operation for a concrete path: a literal segment beats a template one.
    func operation(method: String, path: String) -> (String, JSONValue)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var best: (String, JSONValue, Int)?
        for (template, item) in document["paths"]?.objectValue ?? [:] {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count, let operation = item[method.lowercased()] else { continue }
            var literal = 0
            var matches = true
            for (part, segment) in zip(parts, segments) {
                if part.hasPrefix("{") { continue }
                if part == segment { literal += 1 } else { matches = false }
            }
            if matches, literal > (best?.2 ?? -1) { best = (template, operation, literal) }
        }
        return best.map { ($0.0, $0.1) }
    }

    func resolve(_ value: JSONValue) -> JSONValue {
        guard let reference = value["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
        var current: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") { current = current?[String(part)] }
        return current.map(resolve) ?? value
    }

    /// What in `value` breaks `schema`, with JSON paths.
    public func validate(_ value: JSONValue, against rawSchema: JSONValue, at path: String) -> [String] {
        let schema = resolve(rawSchema)
        guard let rules = schema.objectValue else { return [] }
        var found: [String] = []
        if let type = rules["type"] {
            let allowed: [String] = if case .array(let names) = type { names.compactMap(\.stringValue) } else { [type.stringValue ?? ""] }
            guard allowed.contains(where: { Self.has(value, type: $0) }) else {
                return ["\(path): expected \(allowed.joined(separator: " or ")), found \(Self.typeName(value))"]
            }
        }
        if let choices = rules["enum"], case .array(let options) = choices, !options.contains(value) {
            found.append("\(path): \(value) is not one of the allowed values")
        }
        if let constant = rules["const"], constant != value { found.append("\(path): expected \(constant)") }
        if case .integer(let number) = value {
            if let minimum = rules["minimum"]?.integerValue, number < minimum { found.append("\(path): \(number) is below \(minimum)") }
            if let maximum = rules["maximum"]?.integerValue, number > maximum { found.append("\(path): \(number) is above \(maximum)") }
        }
        if case .string(let text) = value {
            if let minimum = rules["minLength"]?.integerValue, text.count < minimum { found.append("\(path): shorter than \(minimum)") }
            if let maximum = rules["maxLength"]?.integerValue, text.count > maximum { found.append("\(path): longer than \(maximum)") }
            if let pattern = rules["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): \"\(text.prefix(40))\" does not match \(pattern)")
            }
        }
        if case .object(let members) = value {
            let properties = rules["properties"]?.objectValue ?? [:]
            if case .array(let required)? = rules["required"] {
                for key in required.compactMap(\.stringValue) where members[key] == nil { found.append("\(path).\(key): required, missing") }
            }
            for (key, member) in members {
                if let property = properties[key] {
                    found += validate(member, against: property, at: "\(path).\(key)")
                } else if let additional = rules["additionalProperties"] {
                    if additional == .bool(false) {
                        found.append("\(path).\(key): not allowed")
                    } else if additional.objectValue != nil {
                        found += validate(member, against: additional, at: "\(path).\(key)")
                    }
                }
            }
        }
        if case .array(let items) = value, let itemSchema = rules["items"] {
            for (index, item) in items.enumerated() { found += validate(item, against: itemSchema, at: "\(path)[\(index)]") }
        }
        return found
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("integer", .integer), ("number", .integer), ("boolean", .bool),
            ("null", .null):
            true
        default: false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
