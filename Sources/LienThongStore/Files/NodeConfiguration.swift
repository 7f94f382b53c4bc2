import Foundation
import LienThongCore

/// The node configuration file that `lienthong node init --config FILE` reads (see
/// `Config/node.example.json`): who the office is, who works there and which calendar, catalogue
/// and topology it uses. Every key is optional, because a command-line option given with the file
/// wins over it; paths are relative to the file's own folder, so the file works from any directory.
public struct NodeConfiguration: Sendable, Hashable {
    public var nodeId: String?
    public var agency: String?
    public var office: String?
    public var staff: [StaffMember]?
    /// Absolute or relative to the working directory, already resolved against the file's folder.
    public var calendar: String?
    public var procedures: String?
    public var topology: String?

    public init(
        nodeId: String? = nil, agency: String? = nil, office: String? = nil, staff: [StaffMember]? = nil, calendar: String? = nil,
        procedures: String? = nil, topology: String? = nil
    ) {
        self.nodeId = nodeId
        self.agency = agency
        self.office = office
        self.staff = staff
        self.calendar = calendar
        self.procedures = procedures
        self.topology = topology
    }

    /// The keys the file may hold. Anything else is refused, so a misspelt key ("ofice") is an
    /// error rather than a silently ignored setting.
    public static let keys = ["nodeId", "agency", "office", "staff", "calendar", "procedures", "topology"]

    private struct File: Decodable {
        var nodeId: String?
        var agency: String?
        var office: String?
        var staff: [StaffMember]?
        var calendar: String?
        var procedures: String?
        var topology: String?
    }

    /// Parses the file at `file` (its contents `data`), resolving relative paths against its folder.
    public static func load(_ data: Data, file: String) throws(ConfigError) -> NodeConfiguration {
        let expected = "a node configuration file (see Config/node.example.json)"
        guard case .object(let members)? = try? JSONParser.parse(data) else {
            throw ConfigError(file: file, field: "", expected: "\(expected): one JSON object", found: "something else")
        }
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw ConfigError(file: file, field: unknown, expected: "one of \(keys.joined(separator: ", "))", found: "an unknown key")
        }
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigError(file: file, field: "", expected: expected, found: ConfigError.describe(error))
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String?) -> String? {
            guard let path else { return nil }
            return path.hasPrefix("/") ? path : folder.appendingPathComponent(path).standardizedFileURL.path
        }
        return NodeConfiguration(
            nodeId: decoded.nodeId, agency: decoded.agency, office: decoded.office, staff: decoded.staff,
            calendar: resolve(decoded.calendar), procedures: resolve(decoded.procedures), topology: resolve(decoded.topology))
    }
}
