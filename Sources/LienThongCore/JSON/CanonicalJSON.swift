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
        if isCertainlyNFC(string) { return string }
        return string.precomposedStringWithCanonicalMapping
    }

    /// Whether `string` is in NFC without asking Foundation: true when every scalar is below
    /// U+0300 or in Latin Extended Additional (U+1E00–U+1EFF), which covers Vietnamese written
    /// precomposed (ơ, ư, đ, ạ, ế …). Each of those is its own NFC form, has combining class 0 and
    /// is never the second half of a composition, so any sequence of them is NFC (UAX #15's
    /// quick check); Scripts/check-nfc-ranges.py (in CI) checks this against Python's `unicodedata`. Other
    /// text (a combining mark, another script) takes Foundation's normalisation, which is slow.
    @inline(__always)
    static func isCertainlyNFC(_ string: String) -> Bool {
        var utf8 = string.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte < 0x80 { continue }
            if byte < 0xCC {
                // U+0080–U+02FF: a lead byte C2…CB and one continuation byte.
                _ = utf8.next()
                continue
            }
            // U+1E00–U+1EFF: E1 B8…BB, then one continuation byte.
            guard byte == 0xE1, let second = utf8.next(), (0xB8...0xBB).contains(second) else { return false }
            _ = utf8.next()
        }
        return true
    }

    /// Over a string's UTF-8, in one pass: whether ``isCertainlyNFC(_:)`` holds and, if so, whether
    /// the string needs no escape (no `"`, `\\` or control character).
    static func scanPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> (plain: Bool, nfc: Bool) {
        var plain = true
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { plain = false }
                index += 1
            } else if byte < 0xCC {
                index += 2
            } else if byte == 0xE1, index + 1 < count, (0xB8...0xBB).contains(bytes[index + 1]) {
                index += 3
            } else {
                // Maybe not NFC: the caller normalises and escapes byte by byte.
                return (false, false)
            }
        }
        return (plain, true)
    }

    /// `value` with every string, and every object key, in NFC.
    public static func normalized(_ value: JSONValue) -> JSONValue {
        // Most values (everything a node wrote) already are: kept as they are, not rebuilt.
        if isNormalized(value) { return value }
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

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
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
            if members.keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
                // ASCII keys (every key an event holds): in NFC already, and their UTF-16 order
                // is their byte order, which is String's order for ASCII.
                for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    writeString(member.key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(member.value, into: &out)
                }
            } else {
                let keys = members.keys.map(nfc).sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
                let normalizedMembers = Dictionary(members.map { (nfc($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
                for (index, key) in keys.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    writeString(key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(normalizedMembers[key] ?? .null, into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether every string and key in `value` is in NFC (a read-only walk).
    static func isNormalized(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .integer: return true
        case .string(let s): return isNFC(s)
        case .array(let items): return items.allSatisfy(isNormalized)
        case .object(let members): return members.allSatisfy { key, member in isNFC(key) && isNormalized(member) }
        }
    }

    /// Whether `string` is in NFC: the quick check, else Foundation's normal form compared scalar
    /// by scalar (String's `==` is canonical equivalence and would always say yes).
    static func isNFC(_ string: String) -> Bool {
        isCertainlyNFC(string) || string.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(string.unicodeScalars)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings are in NFC and need no escape (one pass finds out): copied whole.
        let scan = s.utf8.withContiguousStorageIfAvailable(scanPlain)
        if let scan, scan.plain && scan.nfc {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        let text = scan?.nfc == true ? s : nfc(s)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                // Planted bug (debug builds only): the control character goes out raw.
                if PlantedBug.canonicalRawControl.isActive {
                    out.append(byte)
                    continue
                }
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
