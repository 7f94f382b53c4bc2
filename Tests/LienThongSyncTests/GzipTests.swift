import LienThongWire
import Testing

/// gzip bodies (DESIGN §5): what inflates is one whole member, within the limit.
@Suite struct GzipTests {
    static let body = Array(#"{"node":"xa-23059","batches":[],"note":"Hồ sơ đã tiếp nhận"}"#.utf8)

    @Test func aWholeMemberInflatesToItsBytesWithinTheLimit() throws {
        let compressed = try Gzip.compress(Self.body)
        #expect(Gzip.isCompressed(compressed))
        #expect(try Gzip.decompress(compressed, limit: Self.body.count) == Self.body)
        #expect(try Gzip.decompress(Gzip.compress([]), limit: 0) == [])
        #expect(throws: GzipError.tooLarge(limit: Self.body.count - 1)) {
            try Gzip.decompress(compressed, limit: Self.body.count - 1)
        }
    }

    /// Regression (found reviewing the gzip fuzz target, issue 8): CompressNIO returned what it had
    /// inflated when the input ran out, and nothing read the trailer, so a body cut anywhere after
    /// its deflate data began passed as a shorter (or, cut in the trailer, the whole) body.
    @Test func aMemberCutOffAnywhereOrFollowedByMoreIsCorrupt() throws {
        let compressed = try Gzip.compress(Self.body)
        for length in 0..<compressed.count {
            let cut = Array(compressed.prefix(length))
            do {
                let inflated = try Gzip.decompress(cut, limit: 1 << 20)
                Issue.record("cut to \(length) of \(compressed.count) bytes, it inflated to \(inflated.count) bytes")
            } catch {
                guard case .corrupt = error else { Issue.record("cut to \(length): \(error), expected corrupt"); continue }
            }
        }
        var damaged = compressed
        damaged[damaged.count - 5] ^= 0x01
        #expect(throws: GzipError.self) { try Gzip.decompress(damaged, limit: 1 << 20) }
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed + [0x00], limit: 1 << 20) }
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed + compressed, limit: 1 << 20) }
    }
}
