#if DEBUG
    import ArgumentParser
    import Foundation
    import LienThongCore
    import LienThongStore

    /// `lienthong dev …`: test drivers, compiled into debug builds only. Tests use them to reach
    /// states that the real commands of later issues will produce.
    struct DevCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dev",
            abstract: "Test drivers (debug builds only).",
            shouldDisplay: false,
            subcommands: [DevAppendCommand.self])
    }

    /// `lienthong dev append`: appends `dossier.note` events and prints one `saved` line per event
    /// after its transaction committed.
    struct DevAppendCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "append", abstract: "Append test note events.")

        @Option(help: "How many events to append.")
        var count = 1

        @Option(name: .customLong("per-transaction"), help: "Events per append transaction.")
        var perTransaction = 1

        @Option(help: "The staff id writing them.")
        var actor: String

        @Option(help: "The dossier code the notes are about.")
        var dossier = "TEST-000000-0001"

        @Option(
            help: """
                The event type (default dossier.note). Any other type is appended without the workflow's checks, to \
                reach a state no honest command writes on demand: an event of an office that does not own the dossier \
                (a conflict, as a node restored from a backup produces).
                """)
        var type = "dossier.note"

        @Option(help: "The event body as JSON (default: a numbered note text).")
        var body: String?

        @Option(
            name: .customLong("start-when"),
            help: "Print 'ready' once the database is open, then wait (up to 60 s) until this file exists before appending.")
        var startWhen: String?

        @OptionGroup var data: DataDirectoryOptions

        func run() throws {
            let directory = data.directory
            guard try directory.loadStaff().contains(where: { $0.id == actor }) else {
                throw ValidationError("--actor: \"\(actor)\" is not in the staff list \(directory.staffPath)")
            }
            let key = try directory.loadSigningKey()
            let database = try directory.openDatabase()
            if let startWhen {
                // A start barrier, so that a test can release several writers at the same moment.
                FileHandle.standardOutput.write(Data("ready\n".utf8))
                let deadline = Date().addingTimeInterval(60)
                while !FileManager.default.fileExists(atPath: startWhen) {
                    guard Date() < deadline else { throw ValidationError("--start-when: \(startWhen) did not appear within 60 s") }
                    usleep(1000)
                }
            }
            var written = 0
            while written < count {
                let batch = min(perTransaction, count - written)
                let drafts = try (0..<batch).map { index in
                    EventDraft(
                        dossier: dossier, type: type, actor: actor,
                        body: try body.map { try JSONParser.parse($0) }
                            ?? ["text": .string("Ghi chú thử nghiệm số \(written + index + 1) của tiến trình \(getpid())")])
                }
                let (events, _) = try database.append(drafts, key: key) {
                    UInt64(WallClock.milliseconds())
                }
                // Unbuffered, so a reader sees each line as soon as its transaction committed.
                for event in events {
                    FileHandle.standardOutput.write(Data("saved \(event.origin) \(event.seq) \(event.hash)\n".utf8))
                }
                written += batch
            }
            // The real write paths refresh the projection in the same transaction; this driver
            // refreshes it after, so a replica compared with the hub holds the state its events fold to.
            try database.refreshProjection(dossier: dossier)
        }
    }
#endif
