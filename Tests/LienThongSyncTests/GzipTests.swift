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

    /// Regression (found reviewing the gzip fuzz target, issue 8): CompressNIO took "the input ran
    /// out before the stream ended" for success, so a body cut anywhere after its deflate data began
    /// passed as a shorter body (cut in the trailer, as the whole one); and a first fix that
    /// compared the trailer itself passed a started stream followed by eight zero bytes (the CRC-32
    /// and length of nothing), which libFuzzer made six times.
    @Test func aMemberCutOffAnywhereOrFollowedByMoreIsCorrupt() throws {
        let compressed = try Gzip.compress(Self.body)
        for length in 0..<compressed.count {
            let cut = Array(compressed.prefix(length))
            do {
                let inflated = try Gzip.decompress(cut, limit: 1 << 20)
                Issue.record("cut to \(length) of \(compressed.count) bytes, it inflated to \(inflated.count) bytes")
            } catch {
                guard case .corrupt = error else {
                    Issue.record("cut to \(length): \(error), expected corrupt")
                    continue
                }
            }
        }
        let header = Array(compressed.prefix(10))
        let zeros = header + [0x1C] + [UInt8](repeating: 0, count: 9)
        #expect(throws: GzipError.self, "a started stream and the trailer of nothing") { try Gzip.decompress(zeros, limit: 1 << 20) }
        var damaged = compressed
        damaged[damaged.count - 5] ^= 0x01
        #expect(throws: GzipError.self) { try Gzip.decompress(damaged, limit: 1 << 20) }
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed + [0x00], limit: 1 << 20) }
        #expect(throws: GzipError.self) { try Gzip.decompress(compressed + compressed, limit: 1 << 20) }
    }
}
