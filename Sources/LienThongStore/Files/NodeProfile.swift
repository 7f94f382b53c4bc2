import Foundation
import LienThongCore

/// A staff member (cán bộ) of the office: the `actor` of the events they write.
public struct StaffMember: Codable, Sendable, Hashable {
    /// The id written into events: lowercase letters, digits, `.`, `_` and `-`, 1–64 characters.
    public var id: String
    /// Full name with diacritics, as printed on documents.
    public var name: String
    /// What they do at the office (`clerk`, `officer`, `leader`); free text.
    public var role: String?

    public init(id: String, name: String, role: String? = nil) {
        self.id = id
        self.name = name
        self.role = role
    }
}

/// What `node init` is told: who the office is and who works there. The identity goes into the
/// database (`localIdentity`), the staff list into `staff.json` (see ``NodeDirectory``).
public struct NodeProfile: Sendable, Hashable {
    public var nodeId: String
    public var agencyCode: String
    public var officeName: String
    public var staff: [StaffMember]

    public init(nodeId: String, agencyCode: String, officeName: String, staff: [StaffMember]) {
        self.nodeId = nodeId
        self.agencyCode = agencyCode
        self.officeName = officeName
        self.staff = staff
    }

    /// Checks every field; the error names the field, what was expected and what to do.
    /// A hub's id starts with `hub-`, a node's must not.
    public func validate(role: NodeDirectory.Role = .node) throws(ProfileError) {
        let example = role == .hub ? "hub-597" : "xa-23059"
        do {
            try EventValidator.checkOrigin(nodeId, field: "nodeId")
        } catch {
            throw ProfileError(input: .nodeId, message: "expected 1 to 64 lowercase letters, digits and '-', such as \(example); found \"\(nodeId)\"")
        }
        switch role {
        case .node where nodeId.hasPrefix("hub-"):
            throw ProfileError(input: .nodeId, message: "ids starting with 'hub-' belong to hubs; choose an id such as xa-23059")
        case .hub where !nodeId.hasPrefix("hub-"):
            throw ProfileError(input: .nodeId, message: "a hub's id starts with 'hub-' and its agency code, such as hub-597")
        default: break
        }
        let agency = Array(agencyCode.utf8)
        guard (1...32).contains(agency.count),
            agency.allSatisfy({ byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            })
        else {
            throw ProfileError(input: .agencyCode, message: "expected 1 to 32 letters, digits, '.' or '_', such as 23059; found \"\(agencyCode)\"")
        }
        guard !officeName.trimmingCharacters(in: .whitespaces).isEmpty, officeName.count <= 200 else {
            throw ProfileError(input: .officeName, message: "expected the office's name, 1 to 200 characters, such as \"UBND thị trấn Ma Lâm\"")
        }
        guard !staff.isEmpty else {
            throw ProfileError(input: .staff, message: "expected at least one staff member: every event names its actor from the staff list")
        }
        var seen: Set<String> = []
        for (index, member) in staff.enumerated() {
            let id = Array(member.id.utf8)
            guard (1...64).contains(id.count),
                id.allSatisfy({ byte in
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                        || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")].contains(byte)
                })
            else {
                throw ProfileError(
                    input: .staff, field: "staff[\(index)].id", message: "expected 1 to 64 lowercase letters, digits, '.', '_' or '-'; found \"\(member.id)\"")
            }
            guard seen.insert(member.id).inserted else {
                throw ProfileError(input: .staff, field: "staff[\(index)].id", message: "\"\(member.id)\" is listed twice; staff ids must be unique")
            }
            guard !member.name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ProfileError(input: .staff, field: "staff[\(index)].name", message: "expected the person's full name")
            }
        }
    }
}

/// A profile or staff-list field that is wrong.
public struct ProfileError: Error, Sendable, CustomStringConvertible {
    /// Which input of `node init` holds the problem.
    public enum Input: String, Sendable {
        case nodeId = "node id"
        case agencyCode = "agency code"
        case officeName = "office name"
        case staff
    }

    public let input: Input
    /// The field within it, such as `staff[2].id`.
    public let field: String
    public let message: String

    public init(input: Input, field: String? = nil, message: String) {
        self.input = input
        self.field = field ?? input.rawValue
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
