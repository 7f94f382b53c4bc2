import Foundation
import LienThongCore

/// A second canonical encoder, written plainly from RFC 8785 as LienThong restricts it (integers
/// only) for the canonical-encoder fuzz target to compare against: no fast paths, no scanning,
/// every string through Foundation's NFC, keys sorted by their UTF-16 code units, scalars escaped
/// one by one. Slow, and not used outside the harness.
enum ReferenceJSON {
    static func encode(_ value: JSONValue) -> [UInt8] {
        var out = ""
        write(value, into: &out)
        return Array(out.utf8)
    }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .string(let s): write(string: s, into: &out)
        case .array(let items):
            out += "["
            out += items.map { item in
                var text = ""
                write(item, into: &text)
                return text
            }.joined(separator: ",")
            out += "]"
        case .object(let members):
            let normalized = members.map { (key: $0.key.precomposedStringWithCanonicalMapping, value: $0.value) }
            let sorted = normalized.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            out += "{"
            out += sorted.map { member in
                var text = ""
                write(string: member.key, into: &text)
                text += ":"
                write(member.value, into: &text)
                return text
            }.joined(separator: ",")
            out += "}"
        }
    }

    static func write(string: String, into out: inout String) {
        out += "\""
        for scalar in string.precomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0x00..<0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
