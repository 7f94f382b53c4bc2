import Foundation
import LienThongCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A node's (or a hub's) data directory:
///
/// | file | holds |
/// |---|---|
/// | `staff.json` | the office's staff list, editable as people come and go |
/// | `node.key` | the Ed25519 private key seed, hex (mode 0600) |
/// | `node.pub` | the public key, hex |
/// | `node.sqlite` | the database (with `-wal` and `-shm` beside it while open) |
/// | `calendar.json`, `procedures.json`, `topology.json` | the working calendar, procedure catalogue and topology (copied from Config/ at init) |
/// | `credential` | a node's hub credential after `node enroll` (mode 0600) |
///
/// A hub's directory has the same files, named `hub.key`, `hub.pub` and `hub.sqlite`: a hub is an
/// origin with its own key, chain, staff and configuration, and its database has the same schema.
public struct NodeDirectory: Sendable {
    /// Whose directory it is; it names the key and database files.
    public enum Role: String, Sendable {
        case node
        case hub
    }

    public let path: String
    public let role: Role

    public init(path: String, role: Role = .node) {
        self.path = path
        self.role = role
    }

    public var staffPath: String { path + "/staff.json" }
    public var privateKeyPath: String { path + "/\(role.rawValue).key" }
    public var publicKeyPath: String { path + "/\(role.rawValue).pub" }
    public var databasePath: String { path + "/\(role.rawValue).sqlite" }
    public var credentialPath: String { path + "/credential" }

    /// Makes a new node here: the directory if needed, a new key pair, the staff list and the
    /// database with the node's identity (id, agency, office) and a new epoch. The database is the
    /// one place the identity is kept; the staff list is a file so that it can be edited.
    ///
    /// - Throws: ``StoreError/alreadyInitialized(directory:)`` if a node is here already.
    public func create(
        profile: NodeProfile, config: NodeConfigFiles? = nil, key: SigningKey = SigningKey(),
        now: Date = Date(timeIntervalSince1970: Double(WallClock.milliseconds()) / 1000)
    ) throws(StoreError) -> (
        database: NodeDatabase, identity: LocalIdentity
    ) {
        try create(as: NodeDatabase.self, profile: profile, config: config, key: key, now: now)
    }

    /// Makes a new replica here whose database is a `Database` (a hub passes its own type).
    public func create<Database: EventLogDatabase>(
        as type: Database.Type, profile: NodeProfile, config: NodeConfigFiles? = nil, key: SigningKey = SigningKey(),
        now: Date = Date(timeIntervalSince1970: Double(WallClock.milliseconds()) / 1000)
    ) throws(StoreError) -> (database: Database, identity: LocalIdentity) {
        let fileManager = FileManager.default
        if [staffPath, privateKeyPath, databasePath].contains(where: { fileManager.fileExists(atPath: $0) }) {
            throw StoreError.alreadyInitialized(directory: path)
        }
        do {
            try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.file(path: path, operation: "create the directory", reason: error.localizedDescription)
        }
        try Self.writeNew(path: privateKeyPath, contents: key.seedHex + "\n", mode: 0o600)
        try Self.writeNew(path: publicKeyPath, contents: key.publicKey.hex + "\n", mode: 0o644)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let profileData: Data
        do {
            profileData = try encoder.encode(profile.staff)
        } catch {
            throw StoreError.file(path: staffPath, operation: "encode", reason: String(describing: error))
        }
        try Self.writeNew(path: staffPath, contents: String(decoding: profileData, as: UTF8.self) + "\n", mode: 0o644)
        if let config { try install(config) }
        let identity = LocalIdentity(
            origin: profile.nodeId, epoch: LocalIdentity.newEpoch(), agencyCode: profile.agencyCode,
            officeName: profile.officeName, createdAt: Int(now.timeIntervalSince1970 * 1000))
        let database = try Database(path: databasePath)
        try database.initialize(identity: identity, publicKey: key.publicKey)
        return (database, identity)
    }

    /// Opens the node's database; fails if no node was initialised here.
    public func openDatabase() throws(StoreError) -> NodeDatabase {
        try openDatabase(as: NodeDatabase.self)
    }

    /// Opens the database here as a `Database` (a hub's own type at a hub); fails if there is none.
    public func openDatabase<Database: EventLogDatabase>(as type: Database.Type) throws(StoreError) -> Database {
        try Database.openExisting(path: databasePath, directory: path)
    }

    /// Reads `staff.json`.
    public func loadStaff() throws(StoreError) -> [StaffMember] {
        guard let data = FileManager.default.contents(atPath: staffPath) else { throw StoreError.notInitialized(directory: path) }
        do {
            return try JSONDecoder().decode([StaffMember].self, from: data)
        } catch {
            throw StoreError.malformedFile(
                path: staffPath, reason: "expected a JSON array of {\"id\", \"name\", \"role\"} objects (\(error))")
        }
    }

    /// Reads the private key; refuses a key file that others can read.
    public func loadSigningKey() throws(StoreError) -> SigningKey {
        var status = stat()
        guard stat(privateKeyPath, &status) == 0 else {
            throw StoreError.file(path: privateKeyPath, operation: "read", reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & 0o077 == 0 else {
            throw StoreError.malformedFile(
                path: privateKeyPath, reason: "the private key is readable by other users; run `chmod 600 \(privateKeyPath)`")
        }
        guard let data = FileManager.default.contents(atPath: privateKeyPath) else {
            throw StoreError.file(path: privateKeyPath, operation: "read", reason: "unreadable")
        }
        do {
            return try SigningKey(seedHex: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw StoreError.malformedFile(path: privateKeyPath, reason: error.description)
        }
    }

    /// Creates a file that must not exist yet, with `mode` from the start, and syncs it.
    /// Writes a secret (the hub credential) with mode 0600, replacing an earlier one atomically:
    /// written to a temporary file, synced, then renamed over the old.
    public static func writeSecret(path: String, contents: String) throws(StoreError) {
        let temporary = path + ".new"
        unlink(temporary)
        try writeNew(path: temporary, contents: contents, mode: 0o600)
        guard rename(temporary, path) == 0 else {
            throw StoreError.file(path: path, operation: "replace", reason: String(cString: strerror(errno)))
        }
    }

    static func writeNew(path: String, contents: String, mode: mode_t) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw StoreError.file(path: path, operation: "create", reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw StoreError.file(path: path, operation: "write", reason: String(cString: strerror(errno)))
        }
    }
}
