import Foundation
import LienThongCore
import LienThongStore
import LienThongWire

/// The hub's protocol logic (DESIGN §5): enrolment, push, pull, own, decisions. Every operation is a
/// function of a typed request over the hub's store (``HubStore``); the HTTP adapter (``HubApplication``) only
/// decodes, authenticates and encodes. Time and randomness come in as arguments, so tests and the
/// simulator drive it deterministically.
public struct HubService: Sendable {
    /// Where the hub keeps what it holds; only the service and its adapters reach it.
    let store: any HubStore
    /// The hub's own identity: it is an origin with its own key and chain.
    public let identity: LocalIdentity
    let key: SigningKey
    /// Who may see which dossier starts from here: a dossier's receiving office is the origin of the
    /// agency in its code.
    public let topology: Topology
    /// The hub's workflow for its decisions (its staff, calendar and catalogue).
    public let workflow: Workflow
    public let caps: HubCaps
    /// Random bytes for credentials; injected so tests can fix them.
    let randomBytes: @Sendable (Int) -> [UInt8]

    public init(
        store: any HubStore, identity: LocalIdentity, key: SigningKey, topology: Topology, workflow: Workflow, caps: HubCaps = .standard,
        randomBytes: @escaping @Sendable (Int) -> [UInt8] = HubService.systemRandomBytes
    ) {
        self.store = store
        self.identity = identity
        self.key = key
        self.topology = topology
        self.workflow = workflow
        self.caps = caps
        self.randomBytes = randomBytes
    }

    /// Cryptographically secure random bytes.
    public static let systemRandomBytes: @Sendable (Int) -> [UInt8] = { count in
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// How long an enrolment token stays valid.
    public static let enrolmentTokenLifetime: Int64 = 7 * 24 * 3600 * 1000

    /// The node a bearer credential belongs to.
    public func authenticate(credential: String?) throws(HubError) -> String {
        guard let credential, !credential.isEmpty else {
            throw .unauthorized("send the node's credential as `Authorization: Bearer …` (run `lienthong node enroll` first)")
        }
        let found: (node: String, revokedAt: Int64?)?
        do {
            found = try store.node(credentialHash: Digest.sha256Hex(Array(credential.utf8)))
        } catch {
            throw .store(error)
        }
        guard let found else { throw .unauthorized("the hub does not know this credential; enrol the node again (lienthong hub enroll NODE)") }
        if found.revokedAt != nil {
            throw .unauthorized(
                "the hub operator revoked this machine's credential for \(found.node); a replacement machine enrols with `lienthong node recover`")
        }
        return found.node
    }

    /// `lienthong hub enroll NODE`: a new one-time token for `node`, valid for 7 days. Only its hash
    /// is stored; the token is shown once. A node enrolled on a machine already needs `replace`,
    /// which revokes that machine's credential at once (the old PC died, or was stolen).
    public func issueEnrolmentToken(node: String, now: Int64, replace: Bool = false) throws(HubError) -> String {
        do {
            try EventValidator.checkOrigin(node, field: "node")
        } catch {
            throw .badRequest("NODE: expected a node id such as xa-23059; found \"\(node)\"")
        }
        guard topology.agencies.contains(where: { $0.origin == node }), node != identity.origin else {
            throw .badRequest(
                "NODE: \(node) is not an office of the hub's topology (\(topology.about)); known nodes are "
                    + topology.agencies.filter { $0.origin != identity.origin }.prefix(5).map(\.origin).joined(separator: ", ") + "…")
        }
        let token = Digest.hex(randomBytes(24))
        let added: Bool
        do {
            added = try store.addEnrolmentToken(
                node: node, tokenHash: Digest.sha256Hex(Array(token.utf8)), now: now, expiresAt: now + Self.enrolmentTokenLifetime,
                replace: replace)
        } catch {
            throw .store(error)
        }
        guard added else {
            throw .conflict(
                "NODE: \(node) is enrolled on a machine already; to move it to a new machine, run `lienthong hub enroll \(node) --replace` (it revokes the old machine's credential now)"
            )
        }
        return token
    }

    /// `POST /v1/enroll`: redeems a one-time token for a long-lived credential.
    public func enroll(_ request: EnrollRequest, now: Int64) throws(HubError) -> EnrollResponse {
        do {
            _ = try VerifyingKey(hex: request.publicKey)
        } catch {
            throw .badRequest("publicKey: expected a 64-hex-digit Ed25519 public key (\(error))")
        }
        guard EventValidator.isSafeIdentifier(request.epoch, maxLength: 64) else {
            throw .badRequest("epoch: expected the node's epoch id")
        }
        let credential = Digest.hex(randomBytes(32))
        let outcome: Result<Void, EnrolmentRefusal>
        do {
            outcome = try store.redeemEnrolment(
                node: request.node, tokenHash: Digest.sha256Hex(Array(request.token.utf8)), epoch: request.epoch,
                publicKey: request.publicKey, credentialHash: Digest.sha256Hex(Array(credential.utf8)), now: now)
        } catch {
            throw .store(error)
        }
        switch outcome {
        case .success:
            return EnrollResponse(
                node: request.node, credential: credential, hub: identity.origin, hubEpoch: identity.epoch, hubPublicKey: key.publicKey.hex,
                hubAgency: identity.agencyCode, caps: caps)
        case .failure(.unknownToken): throw .unauthorized("the enrolment token is not one this hub issued; ask the operator for a new one")
        case .failure(.tokenUsed): throw .unauthorized("the enrolment token was used already; ask the operator for a new one")
        case .failure(.tokenExpired): throw .unauthorized("the enrolment token expired; ask the operator for a new one")
        case .failure(.otherNode(let node)): throw .forbidden("the enrolment token was issued for \(node), not \(request.node)")
        case .failure(.alreadyEnrolled):
            throw .conflict(
                "\(request.node) is enrolled on another machine; ask the hub operator for a token from `lienthong hub enroll \(request.node) --replace`")
        case .failure(.keyConflict):
            throw .forbidden("the hub holds another public key for epoch \(request.epoch) of \(request.node); a replaced machine needs a new epoch")
        }
    }
}
