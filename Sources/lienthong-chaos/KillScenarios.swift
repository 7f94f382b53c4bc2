import Foundation
import LienThongCore
import LienThongStore
import LienThongTesting

/// Scenario 1: a clerk receives dossiers through the local API while the node's daemon pushes
/// them; the node (`node run`) is killed with SIGKILL at a random moment, mid-write or mid-push,
/// and restarted, again and again. After every kill: integrity_check ok, the chain verifies, and
/// every dossier the API acknowledged is saved. At the end the hub holds the node's log exactly
/// once and both have one state per dossier.
enum NodeKill {
    static let scenario = Scenario(
        number: 1, name: "node-kill", summary: "SIGKILL a node at random moments (mid-write, mid-push), restart, repeat",
        control: .ackBeforeCommit, controlMeaning: "the local API answers before its transaction commits", controlKind: .lostAcknowledged
    ) { options, random in try run(options, &random) }

    static let node = ("xa-23059", "23059", "UBND thị trấn Ma Lâm")

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        let kills = options.quick ? 10 : 100
        let site = try ProcessSite(prefix: "lienthong-chaos-node-kill")
        defer { site.remove() }
        let (node, agency, office) = Self.node
        try site.initHub()
        try site.startHub()
        try site.initNode(node, agency: agency, office: office)
        try site.enroll(node)
        let path = site.directory(node) + "/node.sqlite"
        var acknowledged: [String] = []
        for round in 1...kills {
            let running = try site.startNode(node, environment: options.environment)
            let clerk = CounterClerk(running)
            Thread.sleep(forTimeInterval: Double.random(in: 0.3...1.5, using: &random))
            guard running.process.process.isRunning else {
                throw Violation("round \(round): node run exited by itself (\(running.process.process.terminationStatus)): \(running.process.stderr)")
            }
            running.process.kill9()
            let receipts = clerk.stop()
            if let failure = clerk.failure { throw Violation("round \(round): the local API answered \(failure)") }
            guard !receipts.isEmpty else { throw Violation("round \(round): no receipt was acknowledged before the kill") }
            acknowledged += receipts
            try Invariants.intact(path, "\(node) after kill \(round)")
            let database = try site.database(node)
            for code in acknowledged where try database.dossier(code) == nil {
                throw Violation(.lostAcknowledged, "kill \(round): dossier \(code) was acknowledged (201) but is not saved")
            }
        }
        // Back for good: everything saved reaches the hub, once.
        let start = ContinuousClock.now
        let final = try site.startNode(node)
        try Invariants.waitForConvergence(site, [node], timeout: .seconds(120))
        let converged = (ContinuousClock.now - start).seconds
        final.process.terminate()
        let events = try Invariants.hubHoldsChain(site, node)
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        let dossiers = try Invariants.sameState(site, [node])
        return "\(kills) kills; \(acknowledged.count) receipts acknowledged, 0 lost; \(events) events at the hub, each once; "
            + "integrity_check and chain ok after every restart; \(dossiers) dossiers at one state hash, \(format(converged)) s after the last restart"
    }
}

/// Scenario 2: three communes keep receiving dossiers (one through its local API, all pushing
/// through their daemons) while the hub is killed with SIGKILL at random moments and restarted on
/// the same port. After every kill, the hub still holds everything it acknowledged to each node
/// (the node's stored cursor); at the end it holds each log exactly once and every replica agrees.
enum HubKill {
    static let scenario = Scenario(
        number: 2, name: "hub-kill", summary: "SIGKILL the hub at random moments during pushes from 3 nodes, restart, repeat",
        control: .hubAckBeforeCommit, controlMeaning: "the hub answers a push before its transaction commits", controlKind: .lostAcknowledged
    ) { options, random in try run(options, &random) }

    static let communes = [
        ("xa-23059", "23059", "UBND thị trấn Ma Lâm"), ("xa-23062", "23062", "UBND thị trấn Phú Long"), ("xa-23065", "23065", "UBND xã La Dạ"),
    ]

    static func run(_ options: Scenario.Options, _ random: inout SeededGenerator) throws -> String {
        let kills = options.quick ? 5 : 100
        let site = try ProcessSite(prefix: "lienthong-chaos-hub-kill")
        defer { site.remove() }
        try site.initHub()
        for (index, (node, agency, office)) in communes.enumerated() {
            try site.initNode(node, agency: agency, office: office)
            try site.run(["demo", "load", "--dossiers", options.quick ? "60" : "200", "--seed", String(index + 1), "--data-dir", site.directory(node)])
        }
        try site.startHub(environment: options.environment)
        for (node, _, _) in communes { try site.enroll(node) }
        let nodes = communes.map(\.0)
        let running = try nodes.map { try site.startNode($0) }
        // The clerks keep the pushes coming for the whole run.
        let clerks = running.map { CounterClerk($0) }
        defer {
            for clerk in clerks { _ = clerk.stop() }
            for node in running where node.process.process.isRunning { node.process.kill9() }
        }
        let databases = try nodes.map { try site.database($0) }
        var checked = 0
        for round in 1...kills {
            Thread.sleep(forTimeInterval: Double.random(in: 0.2...1.2, using: &random))
            guard site.hub?.process.isRunning == true else { throw Violation("kill \(round): the hub exited by itself: \(site.hub?.stderr ?? "")") }
            site.killHub()
            // What the hub acknowledged to each node, read after the kill: all of it must be there.
            let acknowledged = try databases.map { try $0.syncCursor().storedSeq }
            try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub after kill \(round)")
            let hub = try site.hubDatabase()
            for (node, seq) in zip(nodes, acknowledged) {
                let held = try hub.head(origin: node)?.seq ?? 0
                guard held >= seq else { throw Violation(.lostAcknowledged, "kill \(round): the hub acknowledged \(node) up to seq \(seq) but holds \(held)") }
                checked += seq
            }
            try site.startHub(environment: options.environment)
        }
        let receipts = clerks.reduce(0) { $0 + $1.stop().count }
        if let failure = clerks.compactMap(\.failure).first { throw Violation("the local API answered \(failure)") }
        let start = ContinuousClock.now
        try Invariants.waitForConvergence(site, nodes, timeout: .seconds(options.quick ? 60 : 300))
        let converged = (ContinuousClock.now - start).seconds
        for node in running { node.process.terminate() }
        var events = 0
        for node in nodes {
            events += try Invariants.hubHoldsChain(site, node)
            try Invariants.intact(site.directory(node) + "/node.sqlite", node)
        }
        try Invariants.intact(site.hubDirectory + "/hub.sqlite", "the hub")
        let dossiers = try Invariants.sameState(site, nodes)
        return "\(kills) kills; after each, the hub held every event it had acknowledged (\(checked) in all); \(receipts) receipts meanwhile; "
            + "\(events) events at the hub, each once; \(dossiers) dossiers at one state hash, \(format(converged)) s after the last restart"
    }
}

func format(_ value: Double) -> String { Figures.format(value) }
