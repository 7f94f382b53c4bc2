import ArgumentParser
import Foundation
import Logging

/// `lienthong`: the LienThong command-line tool.
@main
struct LienThongCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        var subcommands: [any ParsableCommand.Type] = [
            NodeCommand.self, StatusCommand.self, DossierCommand.self, ReportCommand.self, ConflictsCommand.self, HubCommand.self, DemoCommand.self,
        ]
        #if DEBUG
            subcommands.append(DevCommand.self)
        #endif
        return CommandConfiguration(
            commandName: "lienthong",
            abstract: "Offline-first sync for one-stop-shop offices (một cửa điện tử liên thông).",
            subcommands: subcommands)
    }

    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `lienthong node …`: commands for a commune office's node.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Set up and inspect a commune office's node.",
        subcommands: [
            NodeInitCommand.self, NodeEnrollCommand.self, NodeRecoverCommand.self, NodeRunCommand.self, NodeSyncCommand.self, NodeLogCommand.self,
            NodeBackupCommand.self, NodeRebuildCommand.self,
        ])
}

/// `lienthong node log …`.
struct NodeLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Inspect and verify the node's event log.",
        subcommands: [NodeLogVerifyCommand.self, NodeLogShowCommand.self])
}
