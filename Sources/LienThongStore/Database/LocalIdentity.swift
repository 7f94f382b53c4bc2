import LienThongCore

/// Who this node is: its origin id, current epoch, agency and office name.
public struct LocalIdentity: Sendable, Hashable {
    /// The node's origin id (`xa-23059`).
    public let origin: String
    /// The current incarnation: 32 lowercase hex digits, new at `init`, recovery and healing.
    public let epoch: String
    /// The agency (cơ quan) code, the first part of the dossier codes this node allocates.
    public let agencyCode: String
    /// The office's name as clerks and citizens read it (`UBND thị trấn Ma Lâm`).
    public let officeName: String
    /// When the node was initialised, Unix ms.
    public let createdAt: Int

    public init(origin: String, epoch: String, agencyCode: String, officeName: String, createdAt: Int) {
        self.origin = origin
        self.epoch = epoch
        self.agencyCode = agencyCode
        self.officeName = officeName
        self.createdAt = createdAt
    }

    /// A new random epoch id.
    public static func newEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return Digest.hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
