import Foundation

/// The hierarchy of agencies (cơ quan) a node forwards to: configuration, not code (DESIGN §1).
public struct Topology: Sendable, Hashable {
    /// One agency: a commune, a district, a province or a provincial department.
    public struct Agency: Sendable, Hashable {
        public var code: String
        public var name: String
        public var level: String
        public var parent: String?
        /// The origin that acts for this agency: given in the file, or by convention `hub-<code>`
        /// for districts and provinces and `xa-<code>` for communes.
        public var origin: String
    }

    public var about: String
    public var agencies: [Agency]

    public func agency(code: String) -> Agency? { agencies.first { $0.code == code } }

    private struct File: Decodable {
        struct Entry: Decodable {
            var code: String
            var name: String
            var level: String
            var parent: String?
            var origin: String?
        }
        var about: String
        var agencies: [Entry]
    }

    /// Reads a topology file (Config/topology/*.json).
    public static func load(_ data: Data, file: String) throws(ConfigError) -> Topology {
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigError(file: file, field: "", expected: "a topology file (see Config/topology/)", found: ConfigError.describe(error))
        }
        var agencies: [Agency] = []
        for (index, entry) in decoded.agencies.enumerated() {
            let origin = entry.origin ?? (entry.level == "commune" ? "xa-\(entry.code)" : "hub-\(entry.code)")
            guard (try? EventValidator.checkOrigin(origin, field: "origin")) != nil else {
                throw ConfigError(file: file, field: "agencies[\(index)].origin", expected: "an origin id such as hub-597", found: origin)
            }
            guard !agencies.contains(where: { $0.code == entry.code }) else {
                throw ConfigError(file: file, field: "agencies[\(index)].code", expected: "each code once", found: entry.code)
            }
            agencies.append(Agency(code: entry.code, name: entry.name, level: entry.level, parent: entry.parent, origin: origin))
        }
        return Topology(about: decoded.about, agencies: agencies)
    }
}
