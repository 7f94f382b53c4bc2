import Crypto

/// An origin's Ed25519 private key: it signs checkpoints.
public struct SigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// The key from its 32-byte seed (RFC 8032 private key).
    public init(seed: [UInt8]) throws(KeyError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw KeyError.malformedPrivateKey(reason: "expected 32 bytes, found \(seed.count)")
        }
        self.key = key
    }

    /// The key from 64 hex digits of its seed.
    public init(seedHex: String) throws(KeyError) {
        guard let seed = Digest.bytes(fromHex: seedHex) else {
            throw KeyError.malformedPrivateKey(reason: "expected 64 hex digits")
        }
        try self.init(seed: seed)
    }

    /// The 32-byte seed, as 64 lowercase hex digits. Secret: write it only to a 0600 file.
    public var seedHex: String { Digest.hex(key.rawRepresentation) }

    public var publicKey: VerifyingKey { VerifyingKey(key: key.publicKey) }

    /// Signs `bytes`; Ed25519 signatures are 64 bytes.
    public func sign(_ bytes: [UInt8]) throws(KeyError) -> [UInt8] {
        do {
            return Array(try key.signature(for: bytes))
        } catch {
            throw KeyError.signingFailed(reason: String(describing: error))
        }
    }

    /// A checkpoint over the chain head `(seq, hash)` of `origin` in `epoch`.
    public func checkpoint(origin: String, epoch: String, seq: Int, hash: String) throws(KeyError) -> Checkpoint {
        let signature = try sign(Checkpoint.message(origin: origin, epoch: epoch, seq: seq, hash: hash))
        return Checkpoint(origin: origin, epoch: epoch, seq: seq, hash: hash, signature: Digest.hex(signature))
    }
}

/// An origin's Ed25519 public key: it verifies checkpoints.
public struct VerifyingKey: Sendable, Hashable {
    fileprivate let key: Curve25519.Signing.PublicKey

    fileprivate init(key: Curve25519.Signing.PublicKey) { self.key = key }

    /// The key from 64 hex digits (its 32-byte raw form).
    public init(hex: String) throws(KeyError) {
        guard let raw = Digest.bytes(fromHex: hex), raw.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw KeyError.malformedPublicKey(reason: "expected 64 hex digits")
        }
        self.key = key
    }

    /// The 32-byte raw key as 64 lowercase hex digits.
    public var hex: String { Digest.hex(key.rawRepresentation) }

    public func isValidSignature(_ signature: [UInt8], for bytes: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: bytes)
    }

    /// Whether `checkpoint`'s signature is this key's over its message.
    public func verifies(_ checkpoint: Checkpoint) -> Bool {
        guard let signature = Digest.bytes(fromHex: checkpoint.signature), signature.count == 64 else { return false }
        return isValidSignature(signature, for: checkpoint.message)
    }

    public static func == (lhs: VerifyingKey, rhs: VerifyingKey) -> Bool { lhs.hex == rhs.hex }
    public func hash(into hasher: inout Hasher) { hasher.combine(hex) }
}

/// Why a key could not be read or used.
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedPrivateKey(reason: String)
    case malformedPublicKey(reason: String)
    case signingFailed(reason: String)

    public var description: String {
        switch self {
        case .malformedPrivateKey(let reason): "malformed Ed25519 private key: \(reason)"
        case .malformedPublicKey(let reason): "malformed Ed25519 public key: \(reason)"
        case .signingFailed(let reason): "signing failed: \(reason)"
        }
    }
}
