import Foundation

/// The canonical byte form of a ``JSONValue`` (RFC 8785, JCS, restricted to integers).
///
/// - Object members are sorted by key (keys are compared by their UTF-16 code units, as JCS says;
///   event keys are ASCII, where that is plain byte order).
/// - No whitespace. Strings are normalised to Unicode NFC and written as UTF-8; only `"`, `\` and
///   the control characters U+0000–U+001F are escaped (`\b \t \n \f \r` by name, the rest as
///   `\u00xx` with lowercase hex). `/` is never escaped.
/// - Integers in decimal, with a leading `-` when negative.
///
/// Foundation's `JSONEncoder` is not used: it escapes `/` and does not specify key order.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The canonical bytes of `value` as a string (they are always valid UTF-8).
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// `string` in Unicode Normalization Form C.
    public static func nfc(_ string: String) -> String {
        // Fast path: ASCII is always in NFC.
        if string.utf8.allSatisfy({ $0 < 0x80 }) { return string }
        return string.precomposedStringWithCanonicalMapping
    }

    /// `value` with every string, and every object key, in NFC.
    public static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null, .bool, .integer: return value
        case .string(let s): return .string(nfc(s))
        case .array(let items): return .array(items.map(normalized))
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members { result[nfc(key)] = normalized(member) }
            return .object(result)
        }
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .integer(let i): out.append(contentsOf: Array(String(i).utf8))
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.map(nfc).sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            let normalizedMembers = Dictionary(members.map { (nfc($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(normalizedMembers[key] ?? .null, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in nfc(s).utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
