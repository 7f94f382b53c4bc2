import ArgumentParser
import Foundation
import LienThongCore
import LienThongHub
import LienThongStore

/// An opened replica for a command that reads or writes dossiers: its directory, database,
/// identity and workflow configuration. A node's directory or a hub's: the commands that read the
/// log (dossiers, conflicts, reports, verify) work on both through ``log``.
struct NodeContext {
    let directory: NodeDirectory
    /// The event log, whichever the role: a node's ``NodeDatabase`` or a hub's ``HubDatabase``.
    let log: any EventLogDatabase
    let identity: LocalIdentity
    let workflow: Workflow
    let staffNames: [String: String]

    init(_ options: DataDirectoryOptions) throws {
        directory = options.directory
        log = try directory.openLog()
        guard let identity = try log.identity() else { throw StoreError.missingIdentity }
        self.identity = identity
        // The files, unless the hub published a newer calendar or catalogue (`hub publish`).
        workflow = try log.currentWorkflow(try directory.loadWorkflow(identity: identity))
        staffNames = Dictionary(try directory.loadStaff().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    /// Office names by origin: the topology's, and this office's own.
    var officeNames: [String: String] {
        var names: [String: String] = [:]
        for agency in workflow.topology?.agencies ?? [] { names[agency.origin] = agency.name }
        names[identity.origin] = identity.officeName
        return names
    }

    /// The folded state of dossier `code`; an unknown code is a message and exit code 64.
    func dossier(_ code: String) throws -> DossierState {
        guard let state = try log.dossier(code) else {
            FileHandle.standardError.write(Data("error: unknown dossier code \(code); list dossiers with `lienthong dossier list`\n".utf8))
            throw ExitCode(64)
        }
        return state
    }

    /// A commune's node database; a hub's directory is refused with a message and exit code 64.
    var database: NodeDatabase {
        get throws { try log(as: NodeDatabase.self, else: "holds a hub, not a commune's node; this command works on a node's --data-dir") }
    }

    /// The hub's database (a hub's directory only).
    var hubDatabase: HubDatabase {
        get throws { try log(as: HubDatabase.self, else: "holds a node, not a hub; pass the hub's --data-dir (made by `lienthong hub init`)") }
    }

    /// ``log`` as a `Database`, or `refusal` on stderr and exit code 64.
    private func log<Database: EventLogDatabase>(as type: Database.Type, else refusal: String) throws -> Database {
        guard let database = log as? Database else {
            FileHandle.standardError.write(Data("error: \(directory.path) \(refusal)\n".utf8))
            throw ExitCode(64)
        }
        return database
    }

    /// The hub's service over this (hub) directory, with its key.
    func hubService(key: SigningKey) throws -> HubService {
        guard let topology = workflow.topology else {
            throw StoreError.file(path: directory.topologyPath, operation: "read", reason: "missing; a hub needs its topology")
        }
        return HubService(store: SQLiteHubStore(try hubDatabase), identity: identity, key: key, topology: topology, workflow: workflow)
    }

    /// The hub's service over this (hub) directory, for what needs no signature.
    func hubService() throws -> HubService { try hubService(key: try directory.loadSigningKey()) }

    /// Writes `command` on dossier `code` as `actor`, with the node's key: at a hub through the hub
    /// service, so the decision is also routed to the feeds of the offices that see the dossier. A
    /// refusal is a message and exit code 64 or 65 (``write(_:)``).
    func perform(_ command: Workflow.Command, on code: String, actor: String) throws -> DossierWrite {
        let key = try directory.loadSigningKey()
        return try write {
            if directory.role == .hub {
                return try hubService(key: key).perform(command, on: code, actor: actor, wallMilliseconds: Self.wallMilliseconds)
            }
            return try log.perform(command, on: code, actor: actor, workflow: workflow, key: key, wallMilliseconds: Self.wallMilliseconds)
        }
    }

    /// The wall clock, Unix ms.
    static func wallMilliseconds() -> UInt64 { UInt64(WallClock.milliseconds()) }

    /// Runs a write and turns a refused command into a message on stderr and exit code 64 (bad
    /// input, unknown dossier) or 65 (a transition the state or the authority table forbids).
    func write(_ work: () throws -> DossierWrite) throws -> DossierWrite {
        do {
            return try work()
        } catch StoreError.workflow(let error) {
            FileHandle.standardError.write(Data("error: \(error.description); nothing was written\n".utf8))
            if case .forbidden = error { throw ExitCode(65) }
            throw ExitCode(64)
        }
    }
}

extension LocalDate {
    /// Parses a date the way clerks type it: `yyyy-mm-dd` or `dd/mm/yyyy`.
    init?(argument text: String) {
        if let date = LocalDate(iso: text) {
            self = date
            return
        }
        let parts = text.split(separator: "/")
        guard parts.count == 3, let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2]), parts[2].count == 4,
            let date = LocalDate(year: y, month: m, day: d)
        else { return nil }
        self = date
    }
}

extension NodeDirectory {
    /// Opens the database here as its role's: a hub's directory holds a ``HubDatabase``, a node's a
    /// ``NodeDatabase``.
    func openLog() throws(StoreError) -> any EventLogDatabase {
        role == .hub ? try openDatabase(as: HubDatabase.self) : try openDatabase()
    }
}
