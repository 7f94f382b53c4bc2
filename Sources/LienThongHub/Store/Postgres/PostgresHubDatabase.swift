import Foundation
import LienThongStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Where a hub on PostgreSQL keeps its state (`hub init|run --database postgresql://…`, issue 26):
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`. The password never appears in a message.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    public let password: String?
    public let database: String

    /// Reads a `postgresql://` (or `postgres://`) URL; anything else is refused, saying what is expected.
    public init(url: String) throws(StoreError) {
        let expected = "expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["postgresql", "postgres"].contains(scheme) else {
            throw StoreError.refused("--database: \(expected); found \"\(url.prefix(60))\"")
        }
        guard let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty else {
            throw StoreError.refused("--database: \(expected) (the user and the host are missing)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError.refused("--database: \(expected) (the database name is missing)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
    }

    /// The URL without its password.
    public var description: String { "postgresql://\(username)@\(host):\(port)/\(database)" }

    var configuration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }
}

/// The hub's PostgreSQL database: connections, the schema's steps (``PostgresHubSchema``) and the
/// operations a ``HubStore`` composes.
///
/// Synchronous on purpose: the hub service decides inside one store transaction, and SQLite's
/// transactions are synchronous closures. Each call here blocks its thread on postgres-nio's
/// event-loop futures. The hub calls its store from NIO's thread pool (LienThongHTTP's
/// `offloaded`), never from an event loop; the work itself runs on the connection's event loop,
/// which this never blocks, so a blocked caller cannot starve what would wake it.
public final class PostgresHubDatabase: Sendable {
    public let location: PostgresLocation
    let logger: Logger
    /// Open connections not in use; at most `maximumConnections` exist at once.
    private let idle = Mutex<[PostgresConnection]>([])
    private let slots: DispatchSemaphore
    private let nextID = Atomic<Int>(0)

    /// Connects lazily, up to `maximumConnections`; applies the schema's steps (``migrate()``).
    public init(location: PostgresLocation, maximumConnections: Int = 8, logger: Logger = Logger(label: "lienthong.postgres")) throws(StoreError) {
        self.location = location
        self.logger = logger
        slots = DispatchSemaphore(value: maximumConnections)
        try migrate()
    }

    deinit {
        // postgres-nio asserts a connection is closed before it goes: each stays alive until then.
        for connection in idle.withLock({ $0 }) {
            let closed: EventLoopFuture<Void> = connection.close()
            closed.whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    /// Closes every idle connection.
    public func close() {
        let connections = idle.withLock { idle in
            defer { idle = [] }
            return idle
        }
        for connection in connections { try? connection.close().wait() }
    }

    // MARK: Connections and transactions

    /// Runs `work` on one connection of its own.
    func withConnection<T>(_ operation: String, _ work: (PostgresSession) throws -> T) throws(StoreError) -> T {
        slots.wait()
        defer { slots.signal() }
        let connection: PostgresConnection
        do {
            if let reused = idle.withLock({ $0.popLast() }), !reused.isClosed {
                connection = reused
            } else {
                connection = try PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: location.configuration,
                    id: nextID.wrappingAdd(1, ordering: .relaxed).newValue, logger: logger
                ).wait()
            }
        } catch {
            throw StoreError.database(operation: operation, reason: "cannot connect to \(location): \(Self.describe(error))")
        }
        let session = PostgresSession(connection: connection, logger: logger)
        defer {
            // Back to the pool only in a known state: one a failed ROLLBACK left in a transaction is closed.
            if session.health.broken {
                let closed: EventLoopFuture<Void> = connection.close()
                closed.whenComplete { _ in withExtendedLifetime(connection) {} }
            } else if !connection.isClosed {
                idle.withLock { $0.append(connection) }
            }
        }
        do {
            return try work(session)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: operation, reason: Self.describe(error))
        }
    }

    /// Runs `work` in one transaction (READ COMMITTED, the server's default): committed if it
    /// returns, rolled back if it throws. Durable once it returns: the server runs with
    /// `synchronous_commit` on, and this refuses to run on one that does not (``migrate()``).
    func transaction<T>(_ operation: String, begin: PostgresQuery = "BEGIN", _ work: (PostgresSession) throws -> T) throws(StoreError) -> T {
        try withConnection(operation) { session in
            try session.execute(begin)
            do {
                let result = try work(session)
                try session.execute("COMMIT")
                return result
            } catch {
                do {
                    try session.execute("ROLLBACK")
                } catch {
                    session.health.broken = true
                }
                throw error
            }
        }
    }

    /// A server's error as a person reads it (the server's message, not postgres-nio's debug dump).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            return "\(message) (\(error.serverInfo?[.sqlState] ?? "?"))"
        }
        return String(describing: error)
    }

    // MARK: Schema

    /// Applies the schema's steps not applied yet, in one transaction under an advisory lock (two
    /// processes starting at once apply each step once). A database holding a step this build does
    /// not know (made by a newer build) is refused, as a SQLite file is. So is a server without
    /// `synchronous_commit`: an answer after commit must survive the server's crash.
    public func migrate() throws(StoreError) {
        try transaction("apply the hub's schema") { session in
            let synchronous = try session.query("SHOW synchronous_commit").first.map { try $0.decode(String.self) }
            guard synchronous != "off" else {
                throw StoreError.refused(
                    "the PostgreSQL server runs with synchronous_commit = off: an acknowledged push could be lost in a crash; set it to on")
            }
            try session.execute("SELECT pg_advisory_xact_lock(hashtext('lienthong.schema'))")
            try session.execute(
                """
                CREATE TABLE IF NOT EXISTS schemaMigration (
                    ordinal BIGINT GENERATED ALWAYS AS IDENTITY, id TEXT PRIMARY KEY, appliedAt TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try session.query("SELECT id FROM schemaMigration").map { try $0.decode(String.self) })
            let known = Set(PostgresHubSchema.steps.map(\.id))
            let unknown = applied.subtracting(known).sorted()
            guard unknown.isEmpty else {
                throw StoreError.refused(
                    "the database \(location) holds schema steps this build does not know (\(unknown.joined(separator: ", "))): it was made by a newer lienthong; run that version"
                )
            }
            for step in PostgresHubSchema.steps where !applied.contains(step.id) {
                for statement in step.statements { try session.execute(PostgresQuery(unsafeSQL: statement)) }
                try session.execute("INSERT INTO schemaMigration (id) VALUES (\(step.id))")
            }
        }
    }

    /// The schema's steps applied, in order.
    public func appliedSteps() throws(StoreError) -> [String] {
        try withConnection("read the schema's steps") { session in
            try session.query("SELECT id FROM schemaMigration ORDER BY ordinal").map { try $0.decode(String.self) }
        }
    }

    // MARK: Ordering (several processes)

    /// Takes the event log's lock until the end of the transaction: every transaction that stores
    /// events takes it before its first insert, so events commit in position order and a reader of
    /// "events after position p" never skips one that commits later.
    static func lockEventLog(_ session: PostgresSession) throws {
        try session.execute("SELECT stored FROM eventLog WHERE id = 1 FOR UPDATE")
    }

    /// Serialises `origin`'s appends across processes until the end of the transaction (a
    /// transaction-scoped advisory lock on the origin): a retry reaching another process waits for
    /// the first to commit, then finds its events stored.
    static func lockOrigin(_ origin: String, _ session: PostgresSession) throws {
        try session.execute("SELECT pg_advisory_xact_lock(hashtext('lienthong.origin'), hashtext(\(origin)))")
    }

    /// Appends events, by their positions, to the end of `node`'s feed (after its last entry, or
    /// after its base once a restore moved it on): positions are handed out under the node's
    /// `feedHead` row, locked until commit, so a node's feed positions commit in
    /// order and a pull never returns position n + 1 while n is still to commit.
    static func appendToFeed(node: String, eventPositions: [Int], now: Int64, _ session: PostgresSession) throws {
        guard !eventPositions.isEmpty else { return }
        try session.execute(
            """
            INSERT INTO feedHead (node, position)
            VALUES (\(node), GREATEST(
                COALESCE((SELECT MAX(position) FROM feed WHERE node = \(node)), 0),
                COALESCE((SELECT position FROM feedBase WHERE node = \(node)), 0)))
            ON CONFLICT (node) DO NOTHING
            """)
        guard let row = try session.query("SELECT position FROM feedHead WHERE node = \(node) FOR UPDATE").first else {
            throw StoreError.database(operation: "append to a feed", reason: "no feed head for \(node)")
        }
        var end = try row.decode(Int.self)
        for position in eventPositions {
            end += 1
            try session.execute("INSERT INTO feed (node, position, eventPosition, addedAt) VALUES (\(node), \(end), \(position), \(now))")
        }
        try session.execute("UPDATE feedHead SET position = \(end) WHERE node = \(node)")
    }

    /// `node`'s feed entries after `since`, up to `limit`, as (position, event position).
    static func feedEntries(node: String, since: Int, limit: Int, _ session: PostgresSession) throws -> [(position: Int, eventPosition: Int)] {
        try session.query(
            "SELECT position, eventPosition FROM feed WHERE node = \(node) AND position > \(since) ORDER BY position LIMIT \(limit)"
        ).map { row in try row.decode((Int, Int).self) }
    }
}

/// One connection, used by one caller at a time, synchronously.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    /// Whether the connection is in an unknown state (its ROLLBACK failed): it is closed, not reused.
    let health = Health()

    final class Health {
        var broken = false
    }

    /// Every row of `query`.
    func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        Array(try connection.query(query, logger: logger).wait().rows)
    }

    /// Runs `query`; its rows, if any, are dropped.
    func execute(_ query: PostgresQuery) throws {
        _ = try connection.query(query, logger: logger).wait()
    }
}
