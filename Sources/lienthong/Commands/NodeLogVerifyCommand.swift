import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore

/// `lienthong node log verify`: walks the whole chain, every checkpoint and every pulled feed page.
struct NodeLogVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every event's hash and link, every checkpoint's signature and every pulled feed page's signature.",
        discussion: """
            The node's own events must form one chain from seq 1, covered by its signed checkpoints. Events of other \
            origins (pulled from the hub) must each be named, with their hash, by a feed page the pinned hub key signed, \
            and every event such a page names must be in the log. At a hub, every origin's chain is checked like a \
            node's own.
            Exits 0 when the log proves itself, 1 when something is broken (the first broken seq is named).
            """)

    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let database = try data.directory.openLog()
        let report = try database.verify { count in
            FileHandle.standardError.write(Data("verified \(count) events…\n".utf8))
        }
        guard let first = report.firstProblem else {
            let heads = report.heads.sorted { $0.key < $1.key }.map { "\($0.key) seq \($0.value.seq) \($0.value.hash.prefix(16))…" }
            print("OK: \(report.eventCount) events, \(report.checkpointCount) signed checkpoints and \(report.pageCount) signed feed pages verified")
            for head in heads { print("  head \(head)") }
            return
        }
        print("BROKEN: first broken event: \(first.origin) seq \(first.seq): \(first.reason)")
        for problem in report.problems.prefix(20) { print("  \(problem)") }
        if report.problems.count > 20 { print("  … and \(report.problems.count - 20) more") }
        print("\(report.problems.count) problems in \(report.eventCount) events, \(report.checkpointCount) checkpoints and \(report.pageCount) feed pages")
        throw ExitCode(1)
    }
}
