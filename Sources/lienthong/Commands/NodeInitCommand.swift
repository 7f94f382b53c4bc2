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
            Either name everything with options, or put it in a configuration file and pass --config FILE
            (see Config/node.example.json; its paths are relative to the file). An option given with
            --config wins over the file; what neither names comes from the checkout's Config/.
            The staff list is a JSON array of the office's staff, whose ids name the actor of every event:
              [{"id": "cb-tiepnhan-01", "name": "Nguyễn Thị Lan", "role": "clerk"}]
            """)

    @Option(help: "A node configuration file (see Config/node.example.json); options given here win over it.")
    var config: String?

    @Option(name: .customLong("node-id"), help: "The node's origin id, e.g. xa-23059.")
    var nodeId: String?

    @Option(name: .customLong("agency"), help: "The office's agency code, the first part of its dossier codes, e.g. 23059.")
    var agencyCode: String?

    @Option(name: .customLong("office"), help: "The office's name as citizens read it, e.g. \"UBND thị trấn Ma Lâm\".")
    var officeName: String?

    @Option(name: .customLong("staff"), help: "A JSON file listing the office's staff (or \"staff\" in the configuration file).")
    var staffFile: String?

    @Option(help: "The working calendar (holidays, swapped days), copied into the node (default \(Defaults.calendar)).")
    var calendar: String?

    @Option(help: "The procedure catalogue, copied into the node (default \(Defaults.procedures)).")
    var procedures: String?

    @Option(help: "The topology of agencies the node forwards to, copied into the node (default \(Defaults.topology)).")
    var topology: String?

    /// Where the configuration files are when neither an option nor the configuration file names
    /// them: the checkout's `Config/`, relative to the working directory.
    enum Defaults {
        static let calendar = "Config/calendar/vn-2025-2027.json"
        static let procedures = "Config/procedures/commune-2025.json"
        static let topology = "Config/topology/ham-thuan-bac-2024.json"
    }

    @OptionGroup var data: DataDirectoryOptions

    /// What `node init` works from once the options, the configuration file and the defaults are
    /// put together, in that order of precedence.
    struct Settings {
        var profile: NodeProfile
        var calendar: String
        var procedures: String
        var topology: String
        var files: NodeConfigFiles
    }

    func validate() throws {
        _ = try settings()
    }

    func run() throws {
        let settings = try settings()
        let directory = data.directory
        let (_, identity) = try directory.create(profile: settings.profile, config: settings.files)
        let publicKey = try String(contentsOfFile: directory.publicKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        print("Initialised node \(identity.origin) (\(identity.officeName), agency \(identity.agencyCode)) in \(directory.path)")
        print("  database:     \(directory.databasePath)")
        print("  private key:  \(directory.privateKeyPath) (mode 0600; keep it secret and back it up apart from the data)")
        print("  epoch:        \(identity.epoch)")
        print("  staff:        \(settings.profile.staff.count) listed in \(directory.staffPath)")
        print("  calendar:     \(settings.calendar) → \(directory.calendarPath)")
        print("  procedures:   \(settings.procedures) → \(directory.proceduresPath)")
        print("  topology:     \(settings.topology) → \(directory.topologyPath)")
        print("Public key (Ed25519): \(publicKey)")
    }

    /// Reads and checks every input before anything is created.
    func settings() throws -> Settings {
        try InitInputs(
            role: .node, config: config, id: nodeId, agencyCode: agencyCode, officeName: officeName, staffFile: staffFile, calendar: calendar,
            procedures: procedures, topology: topology
        ).settings()
    }
}

/// What `node init` and `hub init` are told, before the configuration file and defaults fill it in.
struct InitInputs {
    var role: NodeDirectory.Role
    var config: String?
    var id: String?
    var agencyCode: String?
    var officeName: String?
    var staffFile: String?
    var calendar: String?
    var procedures: String?
    var topology: String?

    typealias Defaults = NodeInitCommand.Defaults
    typealias Settings = NodeInitCommand.Settings

    var idOption: String { role == .hub ? "hub-id" : "node-id" }

    func settings() throws -> Settings {
        var file = NodeConfiguration()
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw ValidationError("--config: cannot read \(config); expected a node configuration file (see Config/node.example.json)")
            }
            do {
                file = try NodeConfiguration.load(data, file: config)
            } catch {
                throw ValidationError("--config: \(error.description)")
            }
        }
        let calendar = calendar ?? file.calendar ?? Defaults.calendar
        let procedures = procedures ?? file.procedures ?? Defaults.procedures
        let topology = topology ?? file.topology ?? Defaults.topology
        let profile = try readProfile(file)
        let files = NodeConfigFiles(
            calendar: try read(calendar, option: "calendar") { data throws(ConfigError) in _ = try WorkingCalendar.load(data, file: calendar) },
            procedures: try read(procedures, option: "procedures") { data throws(ConfigError) in
                _ = try ProcedureCatalogue.load(data, file: procedures)
            },
            topology: try read(topology, option: "topology") { data throws(ConfigError) in _ = try Topology.load(data, file: topology) })
        return Settings(profile: profile, calendar: calendar, procedures: procedures, topology: topology, files: files)
    }

    /// Reads one configuration file and checks that it loads.
    private func read(_ path: String, option: String, load: (Data) throws(ConfigError) -> Void) throws -> Data {
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

    private func readProfile(_ file: NodeConfiguration) throws -> NodeProfile {
        func required(_ value: String?, option: String, key: String, example: String) throws -> String {
            guard let value else {
                throw ValidationError("--\(option): missing; pass --\(option) \(example) or set \"\(key)\" in the --config file")
            }
            return value
        }
        let nodeId = try required(id ?? file.nodeId, option: idOption, key: "nodeId", example: role == .hub ? "hub-597" : "xa-23059")
        let agencyCode = try required(agencyCode ?? file.agency, option: "agency", key: "agency", example: "23059")
        let officeName = try required(officeName ?? file.office, option: "office", key: "office", example: "\"UBND thị trấn Ma Lâm\"")
        let staff: [StaffMember]
        if let staffFile {
            guard let data = FileManager.default.contents(atPath: staffFile) else {
                throw ValidationError(
                    "--staff: cannot read \(staffFile); expected a JSON file listing the office's staff (see Config/staff.example.json)")
            }
            do {
                staff = try JSONDecoder().decode([StaffMember].self, from: data)
            } catch {
                throw ValidationError(
                    "--staff: \(staffFile) is not a JSON array of {\"id\", \"name\", \"role\"} objects (\(error)); see Config/staff.example.json")
            }
        } else if let listed = file.staff {
            staff = listed
        } else {
            throw ValidationError("--staff: missing; pass --staff FILE or list \"staff\" in the --config file (see Config/node.example.json)")
        }
        let profile = NodeProfile(nodeId: nodeId, agencyCode: agencyCode, officeName: officeName, staff: staff)
        do {
            try profile.validate(role: role)
        } catch {
            let option =
                switch error.input {
                case .nodeId: idOption
                case .agencyCode: "agency"
                case .officeName: "office"
                case .staff: "staff"
                }
            throw ValidationError("--\(option): \(error.description)")
        }
        return profile
    }
}
