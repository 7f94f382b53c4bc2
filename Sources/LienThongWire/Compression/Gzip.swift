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

    /// Inflates `bytes`; throws ``GzipError/tooLarge(limit:)`` past `limit` bytes.
    public static func decompress(_ bytes: some Collection<UInt8>, limit: Int) throws(GzipError) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
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
        return Array(inflated.readableBytesView)
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
