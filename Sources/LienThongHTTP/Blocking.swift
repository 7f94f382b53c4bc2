import NIOPosix

/// Runs blocking work (SQLite, a file) on NIO's thread pool, off the few cooperative threads
/// every request needs: a write waiting for a lock held by another process must not stall a
/// long-poll, the daemon's sync loop or the other requests. Both servers and the hub's store use it.
public func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}
