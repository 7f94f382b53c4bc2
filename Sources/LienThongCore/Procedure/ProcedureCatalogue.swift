import Foundation

/// The procedure catalogue (danh mục thủ tục hành chính) an office works from, with a version
/// that every `dossier.received` records.
public struct ProcedureCatalogue: Sendable, Hashable {
    public var name: String
    public var version: String
    public var procedures: [Procedure]

    public init(name: String, version: String, procedures: [Procedure]) {
        self.name = name
        self.version = version
        self.procedures = procedures
    }

    public func procedure(code: String) -> Procedure? { procedures.first { $0.code == code } }

    private struct File: Decodable {
        struct Field: Decodable { var code: String, name: String }
        struct Duration: Decodable { var kind: String, value: Int? }
        struct Step: Decodable { var id: String, name: String, hours: Int }
        struct Entry: Decodable {
            var code: String
            var name: String
            var field: Field
            var decidingLevel: String
            var duration: Duration
            var onlineDuration: Duration?
            var supplement: String
            var steps: [Step]
            var documents: [String]?
        }
        var catalogue: String
        var version: String
        var procedures: [Entry]
    }

    /// Reads a catalogue file (Config/procedures/*.json).
    ///
    /// - Throws: ``ConfigError`` naming the file, the field and what was expected.
    public static func load(_ data: Data, file: String) throws(ConfigError) -> ProcedureCatalogue {
        let decoded: File
        do {
            decoded = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigError(file: file, field: "", expected: "a procedure catalogue (see Config/procedures/)", found: ConfigError.describe(error))
        }
        guard !decoded.version.isEmpty, decoded.version.count <= 64 else {
            throw ConfigError(file: file, field: "version", expected: "a version of 1 to 64 characters", found: decoded.version)
        }
        var procedures: [Procedure] = []
        for (index, entry) in decoded.procedures.enumerated() {
            let place = "procedures[\(index)]"
            guard EventValidator.isSafeIdentifier(entry.code, maxLength: 32) else {
                throw ConfigError(file: file, field: "\(place).code", expected: "1 to 32 letters, digits, '.' or '-'", found: entry.code)
            }
            guard !procedures.contains(where: { $0.code == entry.code }) else {
                throw ConfigError(file: file, field: "\(place).code", expected: "a code not used by another procedure", found: entry.code)
            }
            guard let level = DecidingLevel(rawValue: entry.decidingLevel) else {
                throw ConfigError(file: file, field: "\(place).decidingLevel", expected: "commune, district or province", found: entry.decidingLevel)
            }
            guard let duration = ProcedureDuration(kind: entry.duration.kind, value: entry.duration.value) else {
                throw ConfigError(
                    file: file, field: "\(place).duration", expected: "workingDays, workingHours or calendarDays with a value, or none",
                    found: "\(entry.duration.kind) \(entry.duration.value.map(String.init) ?? "")")
            }
            var online: ProcedureDuration?
            if let given = entry.onlineDuration {
                guard let parsed = ProcedureDuration(kind: given.kind, value: given.value) else {
                    throw ConfigError(file: file, field: "\(place).onlineDuration", expected: "a duration like duration", found: given.kind)
                }
                online = parsed
            }
            guard let supplement = SupplementPolicy(rawValue: entry.supplement) else {
                throw ConfigError(file: file, field: "\(place).supplement", expected: "pause or restart", found: entry.supplement)
            }
            guard !entry.steps.isEmpty else {
                throw ConfigError(file: file, field: "\(place).steps", expected: "at least one step", found: "none")
            }
            var steps: [ProcedureStep] = []
            for (position, step) in entry.steps.enumerated() {
                guard EventValidator.isSafeIdentifier(step.id, maxLength: 32), (0...2000).contains(step.hours),
                    !steps.contains(where: { $0.id == step.id })
                else {
                    throw ConfigError(
                        file: file, field: "\(place).steps[\(position)]", expected: "a unique id of letters, digits, '.' or '-' and 0–2000 hours",
                        found: "\(step.id), \(step.hours) hours")
                }
                steps.append(ProcedureStep(id: step.id, name: step.name, hours: step.hours))
            }
            procedures.append(
                Procedure(
                    code: entry.code, name: entry.name, fieldCode: entry.field.code, fieldName: entry.field.name, decidingLevel: level,
                    duration: duration, onlineDuration: online, supplement: supplement, steps: steps, documents: entry.documents ?? []))
        }
        return ProcedureCatalogue(name: decoded.catalogue, version: decoded.version, procedures: procedures)
    }
}
