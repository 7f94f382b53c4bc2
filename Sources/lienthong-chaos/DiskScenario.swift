import Foundation
import GRDB
import LienThongCore
import LienThongStore
import LienThongTesting

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Scenario 6: the node's data directory is a small tmpfs, and the clerk keeps receiving dossiers
/// through the local API until the disk is full. The clerk must get a clear answer (507, naming
/// the full disk), `node run` must keep running and answering, nothing acknowledged may be lost,
/// and once the file system is given room again, work resumes and everything reaches the hub.
enum DiskFull {
    static let scenario = Scenario(
        number: 6, name: "disk-full", summary: "the node's disk fills up while the clerk works (a small tmpfs), then space returns",
        control: .acknowledgeFailedWrites, controlMeaning: "the local API answers 201 to a receipt the full disk refused",
        controlKind: .lostAcknowledged
    ) { options, random in try run(options, &random) }

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        let site = try ProcessSite(prefix: "lienthong-chaos-disk-full")
        defer { site.remove() }
        let (node, agency, office) = NodeKill.node
        let directory = site.directory(node)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Mount.tmpfs(at: directory, megabytes: options.quick ? 3 : 8)
        defer { Mount.unmount(directory) }
        try site.initHub()
        try site.startHub()
        try site.initNode(node, agency: agency, office: office)
        try site.enroll(node)
        let running = try site.startNode(node, environment: options.environment)
        defer { running.process.kill9() }

        // Until the disk refuses a receipt (or, with the control's bug, long past it).
        let clerk = CounterClerk(running, limit: options.quick ? 3_000 : 8_000)
        let before = clerk.finish()
        guard running.process.process.isRunning else {
            throw Violation("node run died when the disk filled (status \(running.process.process.terminationStatus)): \(running.process.stderr)")
        }
        let saved = try savedDossiers(directory + "/node.sqlite")
        for code in before where !saved.contains(code) {
            throw Violation(.lostAcknowledged, "dossier \(code) was acknowledged (201) but is not saved")
        }
        guard let refusal = clerk.failure else { throw Violation("the disk never filled: \(before.count) receipts were all saved") }
        guard refusal.hasPrefix("507"), refusal.contains("disk"), refusal.contains("nothing was written") else {
            throw Violation("the clerk was told \(refusal), not that the disk is full and nothing was written")
        }
        guard try live(running) else { throw Violation("node run no longer answers /health/live on a full disk") }
        try Invariants.intact(directory + "/node.sqlite", "\(node) on a full disk")

        // Room again: the same process takes receipts and pushes everything.
        try Mount.resize(directory, megabytes: 64)
        let again = CounterClerk(running, limit: 50)
        let after = again.finish()
        if let failure = again.failure { throw Violation("after space returned, the local API answered \(failure)") }
        guard after.count == 50 else { throw Violation("after space returned, only \(after.count) of 50 receipts were taken") }
        try Invariants.waitForConvergence(site, [node], timeout: .seconds(120))
        running.process.terminate()
        let database = try site.database(node)
        for code in before + after where try database.dossier(code) == nil {
            throw Violation(.lostAcknowledged, "dossier \(code) was acknowledged but is not saved")
        }
        let events = try Invariants.hubHoldsChain(site, node)
        try Invariants.intact(directory + "/node.sqlite", node)
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        let dossiers = try Invariants.sameState(site, [node])
        return "the disk filled after \(before.count) receipts; the clerk was told \"\(refusal.prefix(80))…\"; node run kept running and answering; "
            + "0 acknowledged lost; with room again, 50 more receipts and \(events) events at the hub, each once; \(dossiers) dossiers at one state hash"
    }

    /// The dossier codes the node's file holds, read without writing (the disk is full).
    static func savedDossiers(_ path: String) throws -> Set<String> {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT dossier FROM event WHERE dossier IS NOT NULL") })
    }

    /// Whether `GET /health/live` answers 200.
    static func live(_ node: ProcessSite.Node) throws -> Bool {
        var request = URLRequest(url: node.api.appendingPathComponent("health/live"), timeoutInterval: 10)
        request.setValue("Bearer \(node.token)", forHTTPHeaderField: "Authorization")
        return (try? Exchanges.send(request).0) == 200
    }
}

/// A small tmpfs (needs root, as on the project's machines), mounted and unmounted with the
/// system's `mount` and `umount`.
enum Mount {
    static func tmpfs(at path: String, megabytes: Int) throws {
        try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path], "mount a \(megabytes) MB tmpfs at \(path) (needs root)")
    }

    static func resize(_ path: String, megabytes: Int) throws {
        try run("/bin/mount", ["-o", "remount,size=\(megabytes)m", path], "give the tmpfs at \(path) \(megabytes) MB")
    }

    /// Lazily, so a process still holding a file does not keep it mounted.
    static func unmount(_ path: String) { try? run("/bin/umount", ["-l", path], "unmount \(path)") }

    static func run(_ tool: String, _ arguments: [String], _ what: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Violation("could not \(what): \(String(decoding: message, as: UTF8.self))")
        }
    }
}
