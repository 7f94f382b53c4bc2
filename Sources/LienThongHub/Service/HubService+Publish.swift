import Foundation
import LienThongCore
import LienThongStore

/// What `hub publish` did.
public enum PublishOutcome: Sendable, Hashable {
    /// A new hub event carries the file to every commune's feed.
    case published(event: Event, nodes: Int)
    /// The newest publication of that kind is this very file: nothing written.
    case unchanged(version: String, event: String)
}

extension HubService {
    /// Publishes a calendar or catalogue file (`lienthong hub publish calendar|catalogue FILE`) as a
    /// signed hub event routed to every commune's feed; the hub's own decisions use it at once and
    /// each commune from the moment it pulls it. A version names one content: publishing other
    /// content under any version published before is refused (give the file a new version);
    /// publishing the newest file again writes nothing, an older one again makes it the newest.
    public func publish(
        _ kind: Publication.Kind, content: Data, file: String, actor: String, wallMilliseconds: @escaping () -> UInt64
    ) throws(StoreError) -> PublishOutcome {
        guard workflow.staff.contains(actor) else {
            throw StoreError.workflow(
                .invalidInput(field: "--actor", expected: "a staff id of this hub (\(workflow.staff.sorted().joined(separator: ", ")))", found: actor))
        }
        let now = Int64(wallMilliseconds())
        let body: JSONValue
        let version: String
        do {
            (body, version) = try Publication.body(kind: kind, content: content, file: file, now: now)
        } catch {
            throw StoreError.malformedFile(path: file, reason: error.description)
        }
        return try store.transaction("publish a \(kind.rawValue)") { transaction in
            if let recovery = try transaction.openRecovery() { throw StoreError.refused(recovery.refusal) }
            let earlier = try transaction.publications(kind)
            if let other = earlier.first(where: { $0.version == version && $0.content != body["content"] }) {
                throw StoreError.refused(
                    "\(kind.rawValue) version \(version) was published already (\(other.event)) with other content; give the file a new \"version\" and publish again"
                )
            }
            if let latest = earlier.first, latest.version == version {
                return .unchanged(version: version, event: latest.event)
            }
            let draft = EventDraft(dossier: nil, seen: [:], type: kind.eventType, actor: actor, body: body)
            let appended = try transaction.appendOwn([draft], key: key, wallMilliseconds: wallMilliseconds)
            _ = try route(appended, in: transaction, now: now)
            return .published(event: appended[0].event, nodes: try transaction.nodes().count)
        }
    }
}
