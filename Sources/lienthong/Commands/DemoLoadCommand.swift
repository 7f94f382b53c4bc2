import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// `lienthong demo …`: data for demonstrations, tests and benchmarks.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Load realistic data for demonstrations, tests and benchmarks.", subcommands: [DemoLoadCommand.self])
}

/// `lienthong demo load --dossiers N`: N dossiers with histories, through the real write path.
struct DemoLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Write N realistic dossiers with histories through the real write path, in this process.")

    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "How many dossiers to receive.") var dossiers: Int
    @Option(help: "The seed of the generator (same seed, same choices).") var seed: UInt64 = 20_261_122
    @Flag(name: .customLong("receive-only"), help: "Only receive the dossiers; write no further history.") var receiveOnly = false

    func validate() throws {
        guard (1...1_000_000).contains(dossiers) else { throw ValidationError("--dossiers: expected 1 to 1000000, found \(dossiers)") }
    }

    func run() throws {
        let node = try NodeContext(data)
        let key = try node.directory.loadSigningKey()
        var generator = DemoGenerator(seed: seed, workflow: node.workflow)
        var events = 0
        for index in 0..<dossiers {
            let plan = generator.next()
            let received = try node.log.receive(
                plan.intake, actor: plan.clerk, workflow: node.workflow, key: key, wallMilliseconds: NodeContext.wallMilliseconds)
            events += 1
            for (command, actor) in plan.commands where !receiveOnly {
                _ = try node.log.perform(
                    command, on: received.state.code, actor: actor, workflow: node.workflow, key: key,
                    wallMilliseconds: NodeContext.wallMilliseconds)
                events += 1
            }
            if (index + 1) % 1000 == 0 { print("  \(index + 1)/\(dossiers) dossiers") }
        }
        print("loaded \(dossiers) dossier(s), \(events) event(s)")
    }
}
