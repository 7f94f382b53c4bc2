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
    /// zlib checks a member's trailer (CRC-32 and length) when it reaches it, but CompressNIO
    /// takes "the input ran out before the stream ended" for success, returning what was inflated
    /// so far: a body cut off anywhere passed as a shorter one, and a push cut in its trailer was
    /// stored (found by the gzip fuzz target's review, issue 8). So one sentinel byte goes after the
    /// body: zlib stops at the member's end, and the sentinel must be the one byte it leaves.
    /// If the member is cut off, zlib reads on into the sentinel and leaves nothing; if anything
    /// follows the member (another member, garbage), it leaves more. No LienThong client sends more
    /// than one member.
    public static func decompress(_ bytes: some Collection<UInt8>, limit: Int) throws(GzipError) -> [UInt8] {
        // Room for the sentinel from the start: appending it must not copy a large body again.
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count + 1)
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(0))
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
        switch buffer.readableBytes {
        case 1: return Array(inflated.readableBytesView)
        case 0: throw GzipError.corrupt("the member is cut off before its end")
        default: throw GzipError.corrupt("\(buffer.readableBytes - 1) bytes follow the gzip member; send one member only")
        }
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
