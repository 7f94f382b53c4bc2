import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// `lienthong node init`: makes a new node — key pair, profile, database, epoch.
struct NodeInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a new node: its key pair (private key file mode 0600), profile and database.",
        discussion: """
            The staff file is a JSON array of the office's staff, whose ids name the actor of every event:
              [{"id": "cb-tiepnhan-01", "name": "Nguyễn Thị Lan", "role": "clerk"}]
            See Config/staff.example.json.
            """)

    @Option(name: .customLong("node-id"), help: "The node's origin id, e.g. xa-23059.")
    var nodeId: String

    @Option(name: .customLong("agency"), help: "The office's agency code, the first part of its dossier codes, e.g. 23059.")
    var agencyCode: String

    @Option(name: .customLong("office"), help: "The office's name as citizens read it, e.g. \"UBND thị trấn Ma Lâm\".")
    var officeName: String

    @Option(name: .customLong("staff"), help: "A JSON file listing the office's staff.")
    var staffFile: String

    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        try readProfile().validate()
    }

    func run() throws {
        let profile = try readProfile()
        let directory = data.directory
        let (_, identity) = try directory.create(profile: profile)
        let publicKey = try String(contentsOfFile: directory.publicKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        print("Initialised node \(identity.origin) (\(identity.officeName), agency \(identity.agencyCode)) in \(directory.path)")
        print("  database:     \(directory.databasePath)")
        print("  private key:  \(directory.privateKeyPath) (mode 0600; keep it secret and back it up apart from the data)")
        print("  epoch:        \(identity.epoch)")
        print("  staff:        \(profile.staff.count) listed in \(directory.staffPath)")
        print("Public key (Ed25519): \(publicKey)")
    }

    private func readProfile() throws -> NodeProfile {
        guard let data = FileManager.default.contents(atPath: staffFile) else {
            throw ValidationError("--staff: cannot read \(staffFile); expected a JSON file listing the office's staff (see Config/staff.example.json)")
        }
        let staff: [StaffMember]
        do {
            staff = try JSONDecoder().decode([StaffMember].self, from: data)
        } catch {
            throw ValidationError(
                "--staff: \(staffFile) is not a JSON array of {\"id\", \"name\", \"role\"} objects (\(error)); see Config/staff.example.json")
        }
        let profile = NodeProfile(nodeId: nodeId, agencyCode: agencyCode, officeName: officeName, staff: staff)
        do {
            try profile.validate()
        } catch {
            let option =
                switch error.input {
                case .nodeId: "node-id"
                case .agencyCode: "agency"
                case .officeName: "office"
                case .staff: "staff"
                }
            throw ValidationError("--\(option): \(error.description)")
        }
        return profile
    }
}
