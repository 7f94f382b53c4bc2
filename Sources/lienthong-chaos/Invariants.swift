import Foundation
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongTesting

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The invariants every scenario checks, on the SQLite files the real processes wrote.
enum Invariants {
    /// `PRAGMA integrity_check` says ok and the whole chain verifies (hashes, links, signatures).
    static func intact(_ path: String, _ what: String) throws {
        let integrity = try ProcessSite.integrity(of: path)
        guard integrity == "ok" else { throw Violation(.corrupt, "\(what): integrity_check says \(integrity)") }
        // A hub's file is a hub database; a node's a node database: each opens only its own.
        let database: any EventLogDatabase = path.hasSuffix("hub.sqlite") ? try HubDatabase(path: path) : try NodeDatabase(path: path)
        let report = try database.verify()
        guard report.isIntact else { throw Violation(.corrupt, "\(what): the chain does not verify: \(report.problems.prefix(3))") }
    }

    /// The hub holds `node`'s chain exactly as the node does: every event once, the same hashes.
    /// - Returns: how many events that is.
    @discardableResult
    static func hubHoldsChain(_ site: ProcessSite, _ node: String) throws -> Int {
        let local = try site.database(node).events(origin: node, fromSeq: 1)
        let stored = try site.hubDatabase().events(origin: node, fromSeq: 1)
        guard stored.count == local.count else {
            throw Violation(.diverged, "\(node): the node holds \(local.count) of its events, the hub \(stored.count)")
        }
        for (mine, theirs) in zip(local, stored) where mine.seq != theirs.seq || mine.hash != theirs.hash {
            throw Violation(
                .diverged, "\(node) seq \(mine.seq): the hub holds \(theirs.seq) with hash \(theirs.hash.prefix(12)), the node \(mine.hash.prefix(12))")
        }
        return local.count
    }

    /// Waits until the hub has stored each node's whole log (and each node knows it), then until
    /// the hub's projector has folded everything.
    static func waitForConvergence(_ site: ProcessSite, _ nodes: [String], timeout: Duration) throws {
        let hub = try site.hubDatabase()
        let databases = try nodes.map { try site.database($0) }
        do {
            try waitForStorage(hub: hub, nodes: nodes, databases: databases, timeout: timeout)
        } catch let timedOut as Eventually.TimedOut {
            // What each node last heard, to say why.
            let last = nodes.enumerated().map { index, node in
                let attempts = (try? databases[index].syncAttempts(limit: 3)) ?? []
                return "\(node): " + attempts.map { "\($0.kind) \($0.outcome) \($0.detail ?? "")" }.joined(separator: " | ")
            }
            throw Violation("\(timedOut.description); last sync attempts: \(last.joined(separator: "; "))")
        }
        try Eventually.wait(for: "the hub's projector to fold everything", timeout: timeout, interval: .milliseconds(100)) {
            let progress = try hub.projectorProgress()
            return progress.projected >= progress.stored
        }
    }

    static func waitForStorage(hub: HubDatabase, nodes: [String], databases: [NodeDatabase], timeout: Duration) throws {
        try Eventually.wait(for: "every node's log to be stored at the hub", timeout: timeout, interval: .milliseconds(100)) {
            // A server error is never a fault the scenarios inject: it fails the run at once.
            for (node, database) in zip(nodes, databases) {
                if let error = try database.syncAttempts(limit: 50).first(where: { $0.detail?.contains("the hub answered 50") == true }) {
                    throw Violation(.serverError, "the hub answered \(node)'s \(error.kind) with a server error: \(error.detail ?? "")")
                }
            }
            return try zip(nodes, databases).allSatisfy { node, database in
                let head = try database.head(origin: node)?.seq ?? 0
                return try hub.head(origin: node)?.seq ?? 0 == head && database.syncCursor().storedSeq == head
            }
        }
    }

    /// Each node's dossiers have one state hash at the node and at the hub.
    /// - Returns: how many dossiers were compared.
    @discardableResult
    static func sameState(_ site: ProcessSite, _ nodes: [String]) throws -> Int {
        let hub = try site.hubDatabase().stateHashes()
        var compared = 0
        for node in nodes {
            for (code, hash) in try site.database(node).stateHashes() {
                guard let theirs = hub[code] else { throw Violation(.diverged, "dossier \(code) of \(node) is not at the hub") }
                guard theirs == hash else {
                    throw Violation(.diverged, "dossier \(code): state hash \(hash.prefix(12)) at \(node), \(theirs.prefix(12)) at the hub")
                }
                compared += 1
            }
        }
        return compared
    }
}

/// A clerk at the counter: a thread receiving dossiers through a node's local API, one after
/// another, each with its own Idempotency-Key, until stopped or until the node stops answering.
/// Records every dossier the API acknowledged (201) — what must never be lost.
final class CounterClerk: @unchecked Sendable {
    // Safe: `acknowledged` and `stopping` are touched under `lock` only.
    private let lock = NSLock()
    private var acknowledged: [String] = []
    private var stopping = false
    private var answered: String?
    private let done = DispatchSemaphore(value: 0)
    private let node: ProcessSite.Node
    private let session: URLSession

    /// Starts writing at once; stops by itself after `limit` acknowledged receipts, if given, and
    /// waits `pause` after each (a clerk's pace, so that the daemon pushes many small batches).
    init(_ node: ProcessSite.Node, limit: Int = .max, pause: Duration = .zero) {
        self.node = node
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration)
        Thread.detachNewThread { [self] in
            var index = 0
            while !lock.withLock({ stopping || acknowledged.count >= limit }) {
                index += 1
                guard let code = receive(index) else { break }
                lock.withLock { acknowledged.append(code) }
                if pause > .zero { Thread.sleep(forTimeInterval: pause.seconds) }
            }
            done.signal()
        }
    }

    /// Stops writing and returns the acknowledged codes (the request in flight, if any, ends
    /// with the node's death or its answer).
    func stop() -> [String] {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        if first {
            done.wait()
            session.invalidateAndCancel()
        }
        return lock.withLock { acknowledged }
    }

    /// An answer of the local API other than 201 (a status and body), which stopped the clerk;
    /// nil if it stopped on its limit, when told, or because the node was gone.
    var failure: String? { lock.withLock { answered } }

    /// Waits until the clerk stops by itself (its limit, or the node gone) and returns the codes.
    func finish() -> [String] {
        done.wait()
        done.signal()
        return stop()
    }

    /// One receipt; its dossier code if the API answered 201, nil once the node is gone.
    private func receive(_ index: Int) -> String? {
        let request = LocalAPIRequests.receipt(api: node.api, token: node.token, applicant: "Nguyễn Văn \(index)")
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var code: String?
        session.dataTask(with: request) { [self] data, response, _ in
            let status = (response as? HTTPURLResponse)?.statusCode
            if status == 201, let data, let body = try? JSONParser.parse(Array(data)) {
                code = body["dossier"]?["code"]?.stringValue
            } else if let status {
                // An answer, not a dead node: the API refused or failed.
                lock.withLock { answered = "\(status): \(String(decoding: (data ?? Data()).prefix(300), as: UTF8.self))" }
            }
            finished.signal()
        }.resume()
        finished.wait()
        return code
    }
}
