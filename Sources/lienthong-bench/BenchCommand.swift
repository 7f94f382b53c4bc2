import ArgumentParser
import Foundation
import GRDB
import LienThongCore
import LienThongHub
import LienThongStore
import LienThongSync
import LienThongTesting
import LienThongWire
import Logging
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `lienthong-bench`: how close the hub comes to the machine's limit, measured against a baseline in
/// the same run (these machines are noisy; only ratios hold). Build it in release
/// (`Scripts/bench.sh`); it prints a table and writes the figures as JSON.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lienthong-bench", abstract: "Benchmarks of the LienThong hub against the machine's own limit (issue 9).",
        subcommands: [ServeHubCommand.self])

    @Flag(help: "Scaled down to run in about two minutes.") var quick = false
    @Option(help: "Where to write the figures as JSON.") var json = "bench-results.json"
    @Option(help: "A scratch directory (removed afterwards); default: a new one under the temporary directory.") var directory: String?
    @Option(help: "Only these measurements, comma-separated: breakdown, ingest (with its ceiling), catch-up, latency (with the local write), scale, replay.")
    var only: String?

    func wants(_ name: String) -> Bool { only.map { $0.split(separator: ",").contains(Substring(name)) } ?? true }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let root = URL(fileURLWithPath: directory ?? NSTemporaryDirectory()).appendingPathComponent("lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var results = BenchResults(quick: quick)

        if wants("breakdown") { try breakdown(into: &results, root: root) }
        if wants("ingest") { try await ingest(into: &results, root: root) }
        if wants("catch-up") { try await catchUp(into: &results, root: root) }
        if wants("latency") { try await latency(into: &results, root: root) }
        if wants("scale") { try await scale(into: &results, root: root) }
        if wants("replay") { try await replay(into: &results, root: root) }
        if !results.growth.isEmpty {
            say("== growth: each measurement at two sizes (a time ratio of 2.00 for twice the size is linear)")
            for (name, line) in results.growth { say("  \(name): \(line)") }
        }

        let data = Data(CanonicalJSON.encode(results.json))
        try data.write(to: URL(fileURLWithPath: json))
        say("figures written to \(json)")
    }

    func ingest(into results: inout BenchResults, root: URL) async throws {
        let total = quick ? 60_000 : 1_000_000
        let sizes = quick ? [1, 10] : [1, 10, 50]
        var tenAtFull: Ingest.Figures?
        say("== ceiling: the same event rows inserted straight into SQLite (WAL, synchronous=FULL, 2,000 a transaction)")
        let ceilingEvents = try Workload.events(communes: 1, total: total)
        let ceiling = try Ceiling.measure(ceilingEvents.flatMap(\.events), directory: root.appendingPathComponent("ceiling"))
        results.add(
            "ceiling", ["events": .integer(ceiling.events), "seconds": .string(format(ceiling.seconds)), "eventsPerSecond": .integer(Int(ceiling.rate))])
        say("  \(ceiling.events) events in \(format(ceiling.seconds)) s: \(Int(ceiling.rate)) events/s")

        for communes in sizes {
            say("== hub ingest: \(communes) commune(s) pushing \(total) events over HTTP, every check on")
            let workload = try Workload.events(communes: communes, total: total)
            let ingest = try await Ingest.measure(workload, directory: root.appendingPathComponent("ingest-\(communes)"))
            let ratio = ingest.rate / ceiling.rate
            results.add(
                "ingest-\(communes)",
                [
                    "communes": .integer(communes), "events": .integer(ingest.events), "seconds": .string(format(ingest.seconds)),
                    "eventsPerSecond": .integer(Int(ingest.rate)), "ratioToCeiling": .string(format(ratio)),
                    "projectorCatchUpSeconds": .string(format(ingest.projectorSeconds)), "bytesPerEvent": .string(format(ingest.bytesPerEvent)),
                ])
            say(
                "  \(Int(ingest.rate)) events/s = \(format(ratio * 100)) % of the ceiling (target ≥ 60 %); projector caught up \(format(ingest.projectorSeconds)) s later; \(format(ingest.bytesPerEvent)) bytes on the wire per event (target ≤ 120)"
            )
            if communes == 10 { tenAtFull = ingest }
        }
        // Growth: 10 communes again at half the events.
        guard let large = tenAtFull else { return }
        say("== hub ingest at half the size: 10 communes pushing \(total / 2) events")
        let small = try await Ingest.measure(try Workload.events(communes: 10, total: total / 2), directory: root.appendingPathComponent("ingest-10-half"))
        say("  \(Int(small.rate)) events/s")
        results.addGrowth("ingest", small: (total / 2, small.seconds), large: (total, large.seconds))
    }

    /// Where a pushed event's time goes at the hub, stage by stage on one thread (no HTTP): inflate,
    /// parse, decide (hashes, validation, signature), then store and route in the transaction.
    func breakdown(into results: inout BenchResults, root: URL) throws {
        let total = quick ? 20_000 : 100_000
        say("== where a pushed event's time goes at the hub, one thread, \(total) events")
        let workload = try Workload.events(communes: 1, total: total)
        let figures = try Breakdown.measure(workload[0], directory: root.appendingPathComponent("breakdown"))
        var fields: [String: JSONValue] = ["events": .integer(total)]
        var line: [String] = []
        for (stage, seconds) in figures {
            let micro = seconds * 1e6 / Double(total)
            fields[stage + "MicrosecondsPerEvent"] = .string(format(micro))
            line.append("\(stage) \(format(micro)) µs")
        }
        results.add("breakdown", fields)
        say("  per event: " + line.joined(separator: ", "))
    }

    func catchUp(into results: inout BenchResults, root: URL) async throws {
        // ~3,000 events written over the month (DESIGN's 100 dossiers a day, most of them short):
        // 500 dossiers of 6 events; a tenth of them forwarded before and decided meanwhile.
        let dossiers = quick ? 100 : 500
        say("== catch-up: a commune offline for a month (\(dossiers * 6) events) reconnects; the district decided meanwhile")
        let catchUp = try await CatchUp.measure(dossiers: dossiers, directory: root.appendingPathComponent("catch-up"))
        let half = try await CatchUp.measure(dossiers: dossiers / 2, directory: root.appendingPathComponent("catch-up-half"))
        results.addGrowth("catch-up", small: (half.events, half.seconds), large: (catchUp.events, catchUp.seconds))
        results.add(
            "catch-up",
            [
                "events": .integer(catchUp.events), "decisions": .integer(catchUp.decisions), "seconds": .string(format(catchUp.seconds)),
                "bytesPerEvent": .string(format(catchUp.bytesPerEvent)),
            ])
        say(
            "  \(catchUp.events) events up and \(catchUp.decisions) decisions down in \(format(catchUp.seconds)) s (target < 1 s on loopback); \(format(catchUp.bytesPerEvent)) bytes on the wire per event"
        )
    }
}

extension BenchCommand {
    func latency(into results: inout BenchResults, root: URL) async throws {
        let samples = quick ? 30 : 200
        say("== link up: \(samples) receipts through the local API with the sync daemon running, and \(samples) district decisions")
        let figures = try await LinkUp.measure(samples: samples, directory: root.appendingPathComponent("latency"))
        func row(_ values: [Double]) -> JSONValue {
            ["samples": .integer(values.count), "p50Ms": .string(format(Percentile.of(values, 50))), "p99Ms": .string(format(Percentile.of(values, 99)))]
        }
        results.add("local-write", row(figures.localWrite).objectValue ?? [:])
        results.add("latency-commune-to-hub", row(figures.communeToHub).objectValue ?? [:])
        results.add("latency-decision-to-commune", row(figures.decisionToCommune).objectValue ?? [:])
        say(
            "  local write (POST /v1/dossiers): p50 \(format(Percentile.of(figures.localWrite, 50))) ms, p99 \(format(Percentile.of(figures.localWrite, 99))) ms"
        )
        say(
            "  commune → hub stored: p50 \(format(Percentile.of(figures.communeToHub, 50))) ms, p99 \(format(Percentile.of(figures.communeToHub, 99))) ms (target p99 < 250 ms)"
        )
        say(
            "  district decision → commune: p50 \(format(Percentile.of(figures.decisionToCommune, 50))) ms, p99 \(format(Percentile.of(figures.decisionToCommune, 99))) ms (target p99 < 500 ms)"
        )
    }

    func scale(into results: inout BenchResults, root: URL) async throws {
        let communes = quick ? 100 : 1_000
        let seconds = quick ? 10 : 60
        say("== scale: \(communes) communes long-polling one hub (its own process) for \(seconds) s; each pushes once; a publication halfway wakes them all")
        let figures = try await Scale.measure(communes: communes, seconds: seconds, directory: root.appendingPathComponent("scale"))
        let mebibytes = Double(figures.peakResidentBytes) / 1_048_576
        results.add(
            "scale",
            [
                "communes": .integer(communes), "seconds": .integer(seconds), "enrolSeconds": .string(format(figures.enrolSeconds)),
                "pulls": .integer(figures.pulls), "pushes": .integer(figures.pushes), "errors": .integer(figures.errors),
                "communesGotPublication": .integer(figures.communesGotPublication), "peakResidentMiB": .string(format(mebibytes)),
                "residentAtEndMiB": .string(format(Double(figures.residentAtEndBytes) / 1_048_576)),
            ])
        say(
            "  hub peak resident memory \(format(mebibytes)) MiB (target < 256 MB); \(figures.errors) errors (target 0); \(figures.pulls) pulls, \(figures.pushes) pushes; publication reached \(figures.communesGotPublication) of \(communes); enrolment took \(format(figures.enrolSeconds)) s"
        )
        if let first = figures.firstError { say("  first error: \(first)") }
    }

    /// A province-year replayed into a fresh hub: 272,000 dossiers × ~6 events from 100 communes,
    /// pushed over HTTP, until stored and until folded; and the database's size per event.
    func replay(into results: inout BenchResults, root: URL) async throws {
        let total = quick ? 160_000 : 1_600_000
        let communes = quick ? 20 : 100
        var figures: [Int: Ingest.Figures] = [:]
        for size in [total / 2, total] {
            say("== replay: \(size) events from \(communes) communes into a fresh hub")
            let replay = try await Ingest.measure(
                try Workload.events(communes: communes, total: size), directory: root.appendingPathComponent("replay-\(size)"))
            figures[size] = replay
            let perEvent = Double(replay.databaseBytes) / Double(replay.events)
            results.add(
                "replay-\(size)",
                [
                    "communes": .integer(communes), "events": .integer(replay.events), "storedSeconds": .string(format(replay.seconds)),
                    "foldedSeconds": .string(format(replay.seconds + replay.projectorSeconds)), "databaseBytes": .integer(replay.databaseBytes),
                    "databaseBytesPerEvent": .string(format(perEvent)),
                ])
            say(
                "  stored in \(format(replay.seconds)) s (\(Int(replay.rate)) events/s), folded \(format(replay.projectorSeconds)) s later (\(format(replay.seconds + replay.projectorSeconds)) s in all); database \(format(Double(replay.databaseBytes) / 1_048_576)) MiB = \(format(perEvent)) bytes per event"
            )
        }
        if let small = figures[total / 2], let large = figures[total] {
            results.addGrowth(
                "replay (stored and folded)", small: (total / 2, small.seconds + small.projectorSeconds), large: (total, large.seconds + large.projectorSeconds)
            )
        }
    }
}

/// A line on standard output, written at once (not buffered into a pipe), so Scripts/bench.sh
/// shows progress as it goes.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func format(_ value: Double) -> String { Figures.format(value) }

/// The figures of a run, as JSON.
struct BenchResults {
    var quick: Bool
    var items: [(String, JSONValue)] = []

    /// Lines of the growth table, in order.
    var growth: [(String, String)] = []

    mutating func add(_ name: String, _ fields: [String: JSONValue]) { items.append((name, .object(fields))) }

    /// A measurement at two sizes: the ratio of times next to the ratio of sizes.
    mutating func addGrowth(_ name: String, small: (size: Int, seconds: Double), large: (size: Int, seconds: Double)) {
        let sizeRatio = Double(large.size) / Double(small.size)
        let timeRatio = large.seconds / small.seconds
        add(
            "growth-\(name.split(separator: " ").first ?? "")",
            [
                "smallSize": .integer(small.size), "smallSeconds": .string(format(small.seconds)), "largeSize": .integer(large.size),
                "largeSeconds": .string(format(large.seconds)), "sizeRatio": .string(format(sizeRatio)), "timeRatio": .string(format(timeRatio)),
            ])
        growth.append(
            (name, "\(small.size) → \(large.size) (× \(format(sizeRatio))): \(format(small.seconds)) s → \(format(large.seconds)) s (× \(format(timeRatio)))"))
    }

    var json: JSONValue {
        let host = ProcessInfo.processInfo
        return [
            "date": .string(ISO8601DateFormatter().string(from: Date())), "quick": .bool(quick),
            "machine": ["cores": .integer(host.activeProcessorCount), "memoryBytes": .integer(Int(host.physicalMemory))],
            "results": .object(Dictionary(uniqueKeysWithValues: items)),
        ]
    }
}

/// Realistic events: each dossier received through the real workflow (a `dossier.received` of
/// about 1 KB), then five later events (hand-overs and notes), chained and signed as a node would.
enum Workload {
    struct Commune {
        var origin: String
        var agency: String
        var epoch: String
        var key: SigningKey
        var events: [Event]
        /// One checkpoint per batch of 2,000 (the hub's cap), signed by the commune's key.
        var batches: [PushBatch]
    }

    static let batchSize = 2_000

    /// The agency codes of `count` synthetic communes (`9xxxx`), under district 597.
    static func agencies(_ count: Int) -> [String] { (0..<count).map { String(90_001 + $0) } }

    /// A topology file naming the communes, so the hub routes their dossiers to them.
    static func topology(communes: Int) -> Data {
        var agencies: [JSONValue] = [["code": "597", "name": "UBND huyện Hàm Thuận Bắc", "level": "district"]]
        for code in Self.agencies(communes) {
            agencies.append(["code": .string(code), "name": .string("UBND xã thử nghiệm \(code)"), "level": "commune", "parent": "597"])
        }
        return Data(CanonicalJSON.encode(["about": "benchmark communes", "agencies": .array(agencies)]))
    }

    static func events(communes: Int, total: Int) throws -> [Commune] {
        let perCommune = total / communes
        return try agencies(communes).map { agency in
            let origin = "xa-\(agency)"
            let workflow = try Fixtures.workflow(origin: origin, agency: agency, office: "UBND xã thử nghiệm \(agency)")
            let key = SigningKey()
            let epoch = LocalIdentity.newEpoch()
            var events: [Event] = []
            events.reserveCapacity(perCommune)
            var prev = Event.genesisHash
            var clock = HLC.zero
            var now: Int64 = 1_795_000_000_000
            var dossier = 0
            func append(_ draft: EventDraft) {
                now += 60_000
                clock = HybridClock.tick(last: clock, wallMilliseconds: UInt64(now))
                let event = Event(
                    origin: origin, epoch: epoch, seq: events.count + 1, hlc: clock, dossier: draft.dossier, seen: draft.seen, type: draft.type,
                    actor: draft.actor, body: draft.body, prev: prev)
                prev = event.hash
                events.append(event)
            }
            while events.count < perCommune {
                dossier += 1
                let day = LocalDate(vietnamTimeOf: now)
                let code = "\(agency)-\(day.compact)-\(LocalDate.pad(dossier % 10_000_000, 7))"
                let intake = Fixtures.intake(procedure: "1.001193", applicant: "Nguyễn Văn \(dossier)")
                append(try workflow.receive(intake, code: code, actor: "cb-tiepnhan-01", now: now))
                for index in 0..<5 where events.count < perCommune {
                    let body: JSONValue = ["at": .integer(Int(now)), "text": .string("Ghi chú xử lý hồ sơ số \(index + 1)")]
                    append(EventDraft(dossier: code, seen: [origin: events.count], type: "dossier.note", actor: "cb-tuphap-01", body: body))
                }
            }
            var batches: [PushBatch] = []
            var start = 0
            while start < events.count {
                let slice = Array(events[start..<min(start + batchSize, events.count)])
                let last = slice[slice.count - 1]
                batches.append(PushBatch(events: slice, checkpoint: try key.checkpoint(origin: origin, epoch: epoch, seq: last.seq, hash: last.hash)))
                start += batchSize
            }
            return Commune(origin: origin, agency: agency, epoch: epoch, key: key, events: events, batches: batches)
        }
    }
}

/// The physical limit for the hub's store on this machine: the same rows, the same schema and
/// durability, no protocol, no checks.
enum Ceiling {
    static func measure(_ events: [Event], directory: URL) throws -> (events: Int, seconds: Double, rate: Double) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try NodeDatabase(path: directory.appendingPathComponent("ceiling.sqlite").path)
        // The rows are made before the clock starts: only SQLite's work is timed.
        let rows: [StatementArguments] = events.map { event in
            [event.origin, event.seq, event.epoch, event.hlc.hex, event.dossier, event.type, event.hash, Data(event.storedBytes)]
        }
        let start = ContinuousClock.now
        var index = 0
        while index < rows.count {
            let slice = rows[index..<min(index + Workload.batchSize, rows.count)]
            try database.writer.write { db in
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO event (origin, seq, epoch, hlc, dossier, type, hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                for row in slice { try insert.execute(arguments: row) }
            }
            index += Workload.batchSize
        }
        let seconds = (ContinuousClock.now - start).seconds
        return (events.count, seconds, Double(events.count) / seconds)
    }
}

/// The stages of a push at the hub, timed one by one on one thread over the same batches.
enum Breakdown {
    static func measure(_ commune: Workload.Commune, directory: URL) throws -> [(String, Double)] {
        let topology = directory.appendingPathComponent("topology.json")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Workload.topology(communes: 1).write(to: topology)
        let prepared = try LiveHub.makeService(directory: directory.appendingPathComponent("hub"), topology: topology)
        let service = prepared.service
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let token = try service.issueEnrolmentToken(node: commune.origin, now: now)
        _ = try service.enroll(EnrollRequest(node: commune.origin, token: token, epoch: commune.epoch, publicKey: commune.key.publicKey.hex), now: now)
        let bodies = try commune.batches.map { Data(try Gzip.compress(PushRequest(node: commune.origin, batches: [$0]).bytes)) }
        var inflate = Duration.zero
        var parse = Duration.zero
        var decide = Duration.zero
        var push = Duration.zero
        let clock = ContinuousClock()
        var head = ChainHead.empty
        for body in bodies {
            var start = clock.now
            let bytes = try Gzip.decompress(body, limit: 1 << 26)
            inflate += clock.now - start
            start = clock.now
            let request = try PushRequest(bytes: bytes)
            parse += clock.now - start
            start = clock.now
            let verdict = BatchCheck.decide(request.batches[0], head: head, headHLC: nil, held: { _ in nil }, key: commune.key.publicKey, fenced: false)
            decide += clock.now - start
            guard case .append(_, let checkpoint, _) = verdict else { throw BenchError(description: "the batch was not accepted: \(verdict)") }
            head = ChainHead(seq: checkpoint.seq, hash: checkpoint.hash)
            start = clock.now
            let answer = try service.push(request, node: commune.origin, now: now)
            push += clock.now - start
            guard answer.results.first?.outcome == .stored else { throw BenchError(description: "the hub did not store a batch") }
        }
        // `push` decides again before it stores: the store's share is what remains.
        return [("inflate", inflate.seconds), ("parse", parse.seconds), ("decide", decide.seconds), ("store", (push - decide).seconds)]
    }
}

/// Hub ingest over HTTP: N communes push concurrently, each batch acknowledged only after the hub's
/// commit (every check on: credential, chain, hashes, checkpoint signature, gzip). The batches are
/// the real wire form (`PushRequest`, gzip), prepared before the timed phase; the communes enrol
/// through the real client.
enum Ingest {
    struct Figures {
        var events: Int
        var seconds: Double
        var rate: Double
        var projectorSeconds: Double
        var bytesPerEvent: Double
        /// The hub's database file once folded, its WAL checkpointed.
        var databaseBytes: Int
    }

    static func measure(_ communes: [Workload.Commune], directory: URL) async throws -> Figures {
        let topology = directory.appendingPathComponent("topology.json")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Workload.topology(communes: communes.count).write(to: topology)
        let prepared = try LiveHub.makeService(directory: directory.appendingPathComponent("hub"), topology: topology)
        let service = prepared.service
        let hub = try await LiveHub.serve(prepared)
        let wire = WireCounter()
        // Each commune's batches are encoded and gzipped before the clock starts: the communes are
        // other machines, and here they would otherwise take the hub's own two cores.
        var senders: [(origin: String, credential: String, bodies: [Data])] = []
        for commune in communes {
            let token = try service.issueEnrolmentToken(node: commune.origin, now: Int64(Date().timeIntervalSince1970 * 1000))
            let answer = try await HubClient(baseURL: hub.url, credential: nil).enroll(
                EnrollRequest(node: commune.origin, token: token, epoch: commune.epoch, publicKey: commune.key.publicKey.hex))
            let bodies = try commune.batches.map { Data(try Gzip.compress(PushRequest(node: commune.origin, batches: [$0]).bytes)) }
            senders.append((commune.origin, answer.credential, bodies))
        }
        let session = URLSession(configuration: .ephemeral)
        let url = hub.url.appendingPathComponent(SyncPaths.push)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in senders {
                group.addTask {
                    for body in sender.bodies {
                        var request = URLRequest(url: url, timeoutInterval: 120)
                        request.httpMethod = "POST"
                        request.setValue("Bearer \(sender.credential)", forHTTPHeaderField: "Authorization")
                        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                        request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
                        request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
                        let (data, response) = try await session.upload(for: request, from: body)
                        let received = [UInt8](data)
                        let answer = Gzip.isCompressed(received) ? try Gzip.decompress(received, limit: 1 << 24) : received
                        guard (response as? HTTPURLResponse)?.statusCode == 200, let result = try PushResponse(bytes: answer).results.first,
                            result.outcome == .stored
                        else {
                            throw BenchError(description: "\(sender.origin): the hub answered \(String(decoding: answer, as: UTF8.self))")
                        }
                        wire.add(request: body.count, response: answer)
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).seconds
        let events = communes.reduce(0) { $0 + $1.events.count }
        let stored = try prepared.database.eventCount()
        guard stored == events else { throw BenchError(description: "the hub stored \(stored) of \(events) events") }
        let projectorStart = ContinuousClock.now
        while true {
            let progress = try prepared.database.projectorProgress()
            if progress.projected >= progress.stored { break }
            guard ContinuousClock.now - projectorStart < .seconds(1_800) else {
                throw BenchError(description: "the projector folded \(progress.projected) of \(progress.stored) events in 30 minutes")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let projectorSeconds = (ContinuousClock.now - projectorStart).seconds
        await hub.stop()
        try await prepared.database.writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        let path = directory.appendingPathComponent("hub/hub.sqlite").path
        let databaseBytes = ["", "-wal"].reduce(0) { total, suffix in
            total + (((try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? Int) ?? 0)
        }
        return Figures(
            events: events, seconds: seconds, rate: Double(events) / seconds, projectorSeconds: projectorSeconds,
            bytesPerEvent: Double(wire.bytes) / Double(events), databaseBytes: databaseBytes)
    }
}

/// One commune back after a month offline, with the real node (SQLite file, `NodeSync`, the
/// engine's batch growth) and the real hub: the time from reconnection until the hub stored every
/// event and the commune holds every decision.
enum CatchUp {
    static func measure(dossiers: Int, directory: URL) async throws -> (events: Int, decisions: Int, seconds: Double, bytesPerEvent: Double) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let topology = directory.appendingPathComponent("topology.json")
        try Workload.topology(communes: 1).write(to: topology)
        let agency = Workload.agencies(1)[0]
        let hub = try await LiveHub.serve(try LiveHub.makeService(directory: directory.appendingPathComponent("hub"), topology: topology))
        let node = try LiveNode(
            directory: directory.appendingPathComponent("node"), origin: "xa-\(agency)", agency: agency, office: "UBND xã thử nghiệm", topology: topology)
        let sync = try await node.enroll(with: hub)
        // Before the link went down: a tenth of the month's dossiers forwarded to the district.
        var forwarded: [String] = []
        for index in 0..<max(1, dossiers / 10) {
            let code = try node.receive(procedure: "1.001776", applicant: "Trần Thị \(index)")
            try node.perform(.forward(agency: "597", reason: "Thẩm quyền của huyện"), on: code)
            forwarded.append(code)
        }
        try await sync.once()
        // Offline: the district decides each forwarded dossier; the commune works on.
        let district = hub.service
        let wall: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }
        for code in forwarded {
            _ = try district.perform(.accept, on: code, actor: "pb-tiepnhan-01", wallMilliseconds: wall)
            _ = try district.perform(.resolve(approved: true, reason: ""), on: code, actor: "ld-ubnd-huyen", wallMilliseconds: wall)
        }
        let before = try node.database.head(origin: node.identity.origin)?.seq ?? 0
        for index in 0..<dossiers {
            let code = try node.receive(procedure: "1.001193", applicant: "Nguyễn Văn \(index)")
            for step in 1...5 { try node.perform(.note("Ghi chú xử lý \(step)"), on: code) }
        }
        let head = try node.database.head(origin: node.identity.origin)?.seq ?? 0
        let decisions = try hub.database.head(origin: hub.service.identity.origin)?.seq ?? 0
        let wire = WireCounter()
        let counted = NodeSync(
            database: node.database,
            client: HubClient(baseURL: hub.url, credential: sync.client.credential, node: node.identity.origin, timeout: 60) { wire.add($0) },
            key: node.key, identity: node.identity, link: sync.link, logger: Logger(label: "lienthong.bench-node"))
        let start = ContinuousClock.now
        try await counted.once()
        let seconds = (ContinuousClock.now - start).seconds
        guard try hub.database.head(origin: node.identity.origin)?.seq == head else { throw BenchError(description: "the hub did not store everything") }
        let held = try node.database.head(origin: hub.service.identity.origin)?.seq ?? 0
        guard held == decisions else { throw BenchError(description: "the commune holds \(held) of \(decisions) decisions") }
        await hub.stop()
        return (head - before, decisions, seconds, Double(wire.bytes) / Double(head - before + decisions))
    }
}

/// Bytes on the wire: request and response bodies as sent (gzip when the client or the hub
/// compresses them: requests over 1 KiB, answers over 512 bytes), headers not counted.
final class WireCounter: Sendable {
    private let total = Mutex(0)
    var bytes: Int { total.withLock { $0 } }

    static func sent(_ body: [UInt8], threshold: Int) -> Int {
        body.count > threshold ? ((try? Gzip.compress(body))?.count ?? body.count) : body.count
    }

    /// An exchange of the real client (bodies seen uncompressed): sized as it compresses them.
    func add(_ exchange: HubExchange) {
        let request = exchange.requestBody.map { Self.sent($0, threshold: 1024) } ?? 0
        total.withLock { $0 += request + Self.sent(exchange.responseBody, threshold: 512) }
    }

    /// A request of `request` bytes as sent, and its answer (uncompressed), sized as the hub sends it.
    func add(request: Int, response: [UInt8]) {
        total.withLock { $0 += request + Self.sent(response, threshold: 512) }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
}
