import ArgumentParser
import Foundation
import LienThongCore
import LienThongHub
import LienThongStore

/// `lienthong hub publish calendar|catalogue FILE --actor STAFF`.
struct HubPublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a working calendar or a procedure catalogue to every commune, as a signed hub event in their feeds.",
        discussion: """
            The file is checked as `node init` checks it (Config/calendar/, Config/procedures/). The hub's decisions use it \
            at once; each commune's new receipts use it from the moment its node pulls it, also after days offline. \
            Dossiers received earlier keep their appointments. Give each new file a new "version"; publishing the same \
            file again changes nothing.
            """)

    @Argument(help: "calendar or catalogue.") var kind: Publication.Kind
    @Argument(help: "The calendar or catalogue file (JSON).") var file: String
    @Option(help: "The hub officer publishing it: a staff id of the hub.") var actor: String
    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        guard let content = FileManager.default.contents(atPath: file) else {
            throw ValidationError("FILE: expected a readable \(kind.rawValue) file; \(file) cannot be read")
        }
        let hub = try HubContext(data)
        let outcome: PublishOutcome
        do {
            outcome = try hub.service.publish(kind, content: content, file: file, actor: actor, wallMilliseconds: NodeContext.wallMilliseconds)
        } catch {
            let (reason, code): (String, Int32) =
                switch error {
                case .malformedFile(_, let reason): (reason, 64)
                case .workflow(let refusal): (refusal.description, 64)
                case .refused(let reason): (reason, 65)
                default: (error.description, 1)
                }
            FileHandle.standardError.write(Data("error: \(reason); nothing was published\n".utf8))
            throw ExitCode(code)
        }
        switch outcome {
        case .published(let event, let nodes):
            let version = event.body["version"]?.stringValue ?? ""
            print(
                "Published \(kind.rawValue) \(version) as \(event.origin)-\(event.seq) (\(event.type)); it is in the feeds of \(nodes) commune(s) and reaches each at its next pull"
            )
        case .unchanged(let version, let event):
            print("\(kind.rawValue) \(version) is already published as \(event); nothing was written")
        }
    }
}

extension Publication.Kind: ExpressibleByArgument {}
