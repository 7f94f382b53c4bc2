import Foundation
import Hummingbird
import LienThongCore
import LienThongHub
import LienThongLocalAPI
import LienThongStore
import LienThongSync
import LienThongTesting
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A commune with its link up, as `lienthong node run` runs it: the sync daemon (its default tick)
/// and the local API, beside a live hub. Measures, per sample:
/// - a `dossier receive` through the local API (`POST /v1/dossiers`): the call's time;
/// - from that call's start until the hub has stored the event;
/// - from a district decision (written at the hub) until the commune holds it.
/// The bench watches both SQLite files every millisecond, so the figures are true to about 1 ms.
enum LinkUp {
    struct Figures {
        var localWrite: [Double]
        var communeToHub: [Double]
        var decisionToCommune: [Double]
    }

    static func measure(samples: Int, directory: URL) async throws -> Figures {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let topology = directory.appendingPathComponent("topology.json")
        try Workload.topology(communes: 1).write(to: topology)
        let agency = Workload.agencies(1)[0]
        let hub = try await LiveHub.serve(try LiveHub.makeService(directory: directory.appendingPathComponent("hub"), topology: topology))
        let node = try LiveNode(
            directory: directory.appendingPathComponent("node"), origin: "xa-\(agency)", agency: agency, office: "UBND xã thử nghiệm", topology: topology)
        let sync = try await node.enroll(with: hub)
        // Dossiers forwarded to the district and accepted there, before the clock: each sample's
        // decision is one of them.
        var forwarded: [String] = []
        for index in 0..<samples {
            let code = try node.receive(procedure: "1.001776", applicant: "Trần Thị \(index)")
            try node.perform(.forward(agency: "597", reason: "Thẩm quyền của huyện"), on: code)
            forwarded.append(code)
        }
        try await sync.once()
        let wall: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
        for code in forwarded { _ = try hub.service.perform(.accept, on: code, actor: "pb-tiepnhan-01", wallMilliseconds: wall) }
        try await sync.once()

        var logger = Logger(label: "lienthong.bench-node")
        logger.logLevel = .error
        let token = String(repeating: "b", count: 40)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let api = LocalAPI.build(
            node: LocalAPINode(database: node.database, workflow: node.workflow, key: node.key, staffNames: [:]),
            settings: LocalAPISettings(token: token, allowedOrigins: []), port: 0, logger: logger
        ) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let daemon = NodeSyncService(sync: sync, mode: .daemon, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [api, daemon], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError(description: "the local API did not start") }
        let apiURL = URL(string: "http://127.0.0.1:\(port)")!
        let session = URLSession(configuration: .ephemeral)
        let hubOrigin = hub.service.identity.origin
        var figures = Figures(localWrite: [], communeToHub: [], decisionToCommune: [])
        var generator = SystemRandomNumberGenerator()
        for index in 0..<samples {
            // Writes come at random moments, not in step with the daemon's tick.
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...250, using: &generator)))
            let request = LocalAPIRequests.receipt(api: apiURL, token: token, applicant: "Nguyễn Văn \(index)")
            let start = ContinuousClock.now
            let (data, response) = try await session.data(for: request)
            let written = ContinuousClock.now
            guard (response as? HTTPURLResponse)?.statusCode == 201 else {
                throw BenchError(description: "the local API answered \(String(decoding: data, as: UTF8.self))")
            }
            figures.localWrite.append((written - start).milliseconds)
            let seq = try node.database.head(origin: node.identity.origin)?.seq ?? 0
            try await Eventually.poll(for: "the hub to store seq \(seq)", timeout: .seconds(10), interval: .milliseconds(1)) {
                (try hub.database.head(origin: node.identity.origin)?.seq ?? 0) >= seq
            }
            figures.communeToHub.append((ContinuousClock.now - start).milliseconds)

            try await Task.sleep(for: .milliseconds(Int.random(in: 20...250, using: &generator)))
            let decided = ContinuousClock.now
            let write = try hub.service.perform(.resolve(approved: true, reason: ""), on: forwarded[index], actor: "ld-ubnd-huyen", wallMilliseconds: wall)
            let hubSeq = write.events.map(\.seq).max() ?? 0
            try await Eventually.poll(for: "the commune to hold the decision", timeout: .seconds(10), interval: .milliseconds(1)) {
                (try node.database.head(origin: hubOrigin)?.seq ?? 0) >= hubSeq
            }
            figures.decisionToCommune.append((ContinuousClock.now - decided).milliseconds)
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await hub.stop()
        return figures
    }
}

/// Percentiles of a sample, nearest rank.
enum Percentile {
    static func of(_ values: [Double], _ percent: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}
