import Foundation
import LienThongCore

/// The configuration files a node works from, copied into its directory at `node init`: the
/// working calendar, the procedure catalogue and the topology of agencies it forwards to.
public struct NodeConfigFiles: Sendable {
    public var calendar: Data
    public var procedures: Data
    public var topology: Data

    public init(calendar: Data, procedures: Data, topology: Data) {
        self.calendar = calendar
        self.procedures = procedures
        self.topology = topology
    }
}

extension NodeDirectory {
    public var calendarPath: String { path + "/calendar.json" }
    public var proceduresPath: String { path + "/procedures.json" }
    public var topologyPath: String { path + "/topology.json" }

    /// Writes the configuration files into a new node directory.
    func install(_ files: NodeConfigFiles) throws(StoreError) {
        for (target, data) in [(calendarPath, files.calendar), (proceduresPath, files.procedures), (topologyPath, files.topology)] {
            try Self.writeNew(path: target, contents: String(decoding: data, as: UTF8.self), mode: 0o644)
        }
    }

    /// The workflow of this node: its identity, staff list, calendar, catalogue and topology.
    public func loadWorkflow(identity: LocalIdentity) throws(StoreError) -> Workflow {
        let staff = try loadStaff()
        func read(_ file: String) throws(StoreError) -> Data {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StoreError.file(path: file, operation: "read", reason: "missing; copy it from Config/ (see README, Configuration)")
            }
            return data
        }
        do {
            let calendar = try WorkingCalendar.load(try read(calendarPath), file: calendarPath)
            let catalogue = try ProcedureCatalogue.load(try read(proceduresPath), file: proceduresPath)
            let topology = try Topology.load(try read(topologyPath), file: topologyPath)
            return Workflow(
                origin: identity.origin, agencyCode: identity.agencyCode, officeName: identity.officeName, staff: Set(staff.map(\.id)),
                calendar: calendar, catalogue: catalogue, topology: topology)
        } catch let error as ConfigError {
            throw StoreError.malformedFile(path: error.file, reason: error.description)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.file(path: path, operation: "read the configuration", reason: String(describing: error))
        }
    }
}
