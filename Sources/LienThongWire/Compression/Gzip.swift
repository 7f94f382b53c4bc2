import CompressNIO
import NIOCore

/// gzip for message bodies, both ways (DESIGN §5), with a cap on the inflated size so a small body
/// cannot become a huge one.
public enum Gzip {
    /// gzip's two magic bytes; a JSON message never starts with them.
    public static func isCompressed(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1f && iterator.next() == 0x8b
    }

    public static func compress(_ bytes: [UInt8]) throws(GzipError) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            var compressed = try buffer.compress(with: .gzip())
            return compressed.readBytes(length: compressed.readableBytes) ?? []
        } catch {
            throw GzipError.corrupt(String(describing: error))
        }
    }

    /// Inflates `bytes`, one whole gzip member; throws ``GzipError/tooLarge(limit:)`` past `limit`
    /// bytes and ``GzipError/corrupt(_:)`` for anything else that is not one complete member.
    ///
    /// CompressNIO returns what it inflated when the input runs out before the deflate stream ends,
    /// and does not read the member's trailer: a cut-off body would pass as a shorter one (found by
    /// the fuzz target's review, issue 8). So the trailer is checked here: the body's last 8 bytes
    /// must be the CRC-32 and the length (mod 2^32) of what was inflated (a body cut off exactly
    /// where its last 8 bytes happen to match would still pass: only made on purpose, and it holds
    /// no more than what was inflated). A body with anything after its member, or of two members,
    /// is refused; no LienThong client sends one.
    public static func decompress(_ bytes: some Collection<UInt8>, limit: Int) throws(GzipError) -> [UInt8] {
        let input = Array(bytes)
        // A 10-byte header, at least 2 bytes of deflate data, an 8-byte trailer.
        guard input.count >= 20 else { throw GzipError.corrupt("\(input.count) bytes, shorter than any gzip member") }
        var buffer = ByteBuffer(bytes: input)
        let inflated: ByteBuffer
        do {
            // One byte more than allowed tells "exactly at the limit" from "past it".
            inflated = try buffer.decompress(with: .gzip(), maxSize: limit + 1)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw GzipError.tooLarge(limit: limit)
        } catch {
            throw GzipError.corrupt(String(describing: error))
        }
        guard inflated.readableBytes <= limit else { throw GzipError.tooLarge(limit: limit) }
        // zlib stops at the member's end, having read its trailer: what it left is more than one member.
        guard buffer.readableBytes == 0 else {
            throw GzipError.corrupt("\(buffer.readableBytes) bytes follow the gzip member; send one member only")
        }
        let output = Array(inflated.readableBytesView)
        let trailer = input.suffix(8).map(UInt32.init)
        let crc = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24
        let size = trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24
        guard crc == CRC32.checksum(output), size == UInt32(truncatingIfNeeded: output.count) else {
            throw GzipError.corrupt("the member is cut off or damaged: its trailer does not match the \(output.count) bytes inflated")
        }
        return output
    }
}

/// CRC-32 (ISO-HDLC, the polynomial gzip's trailer uses), which CompressNIO does not expose.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

public enum GzipError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLarge(limit: Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit): "the body inflates past \(limit) bytes"
        case .corrupt(let reason): "the body is not valid gzip (\(reason))"
        }
    }
}
