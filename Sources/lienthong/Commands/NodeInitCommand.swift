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

    @Option(help: "The working calendar (holidays, swapped days), copied into the node.")
    var calendar = "Config/calendar/vn-2025-2027.json"

    @Option(help: "The procedure catalogue, copied into the node.")
    var procedures = "Config/procedures/commune-2025.json"

    @Option(help: "The topology of agencies the node forwards to, copied into the node.")
    var topology = "Config/topology/ham-thuan-bac-2024.json"

    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        try readProfile().validate()
        _ = try readConfig()
    }

    func run() throws {
        let profile = try readProfile()
        let directory = data.directory
        let (_, identity) = try directory.create(profile: profile, config: try readConfig())
        let publicKey = try String(contentsOfFile: directory.publicKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        print("Initialised node \(identity.origin) (\(identity.officeName), agency \(identity.agencyCode)) in \(directory.path)")
        print("  database:     \(directory.databasePath)")
        print("  private key:  \(directory.privateKeyPath) (mode 0600; keep it secret and back it up apart from the data)")
        print("  epoch:        \(identity.epoch)")
        print("  staff:        \(profile.staff.count) listed in \(directory.staffPath)")
        print("  calendar:     \(calendar) → \(directory.calendarPath)")
        print("  procedures:   \(procedures) → \(directory.proceduresPath)")
        print("  topology:     \(topology) → \(directory.topologyPath)")
        print("Public key (Ed25519): \(publicKey)")
    }

    /// Reads and checks the three configuration files before anything is created.
    private func readConfig() throws -> NodeConfigFiles {
        func read(_ path: String, option: String, load: (Data) throws(ConfigError) -> Void) throws -> Data {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--\(option): cannot read \(path); run from the LienThong checkout or pass --\(option) FILE")
            }
            do {
                try load(data)
            } catch {
                throw ValidationError("--\(option): \(error.description)")
            }
            return data
        }
        return NodeConfigFiles(
            calendar: try read(calendar, option: "calendar") { data throws(ConfigError) in _ = try WorkingCalendar.load(data, file: calendar) },
            procedures: try read(procedures, option: "procedures") { data throws(ConfigError) in
                _ = try ProcedureCatalogue.load(data, file: procedures)
            },
            topology: try read(topology, option: "topology") { data throws(ConfigError) in _ = try Topology.load(data, file: topology) })
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
