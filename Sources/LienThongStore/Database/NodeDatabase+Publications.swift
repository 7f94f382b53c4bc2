import Foundation
import GRDB
import LienThongCore

/// A calendar or catalogue the hub published (`lienthong hub publish`): a signed hub event every
/// feed carries, so the swapped working days announced late in the year reach offline offices
/// through the same log as everything else.
public struct Publication: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case calendar, catalogue

        /// The event type that carries it.
        public var eventType: String { "\(rawValue).published" }
    }

    public var kind: Kind
    public var version: String
    /// The file's text, exactly as published.
    public var content: String
    /// The hub event that carries it: `origin-seq`.
    public var event: String
    public var at: Int64

    /// The body of the event that publishes `content` of `kind` at `now`, after checking it
    /// parses as that kind of file.
    /// - Throws: ``ConfigError`` naming the field when the file is not a valid calendar or catalogue.
    public static func body(kind: Kind, content: Data, file: String, now: Int64) throws(ConfigError) -> (body: JSONValue, version: String) {
        let version: String
        switch kind {
        case .calendar: version = try WorkingCalendar.load(content, file: file).version
        case .catalogue: version = try ProcedureCatalogue.load(content, file: file).version
        }
        guard let text = String(data: content, encoding: .utf8) else {
            throw ConfigError(file: file, field: "", expected: "UTF-8 text", found: "bytes that are not UTF-8")
        }
        return (["at": .integer(Int(now)), "version": .string(version), "content": .string(text)], version)
    }
}

extension NodeDatabase {
    /// The newest publication of `kind` stored here (by the hybrid clock of the hub event), if any.
    public func latestPublication(_ kind: Publication.Kind) throws(StoreError) -> Publication? {
        try snapshot("read the published \(kind.rawValue)") { db in try Self.fetchLatestPublication(db, kind) }
    }

    static func fetchLatestPublication(_ db: Database, _ kind: Publication.Kind) throws -> Publication? {
        guard
            let data = try Data.fetchOne(
                db, sql: "SELECT canonical FROM event WHERE type = ? AND dossier IS NULL ORDER BY hlc DESC, origin LIMIT 1",
                arguments: [kind.eventType])
        else { return nil }
        let event = try decodeStored(data)
        guard let version = event.body["version"]?.stringValue, let content = event.body["content"]?.stringValue else { return nil }
        return Publication(kind: kind, version: version, content: content, event: DossierFold.id(event), at: DossierFold.at(event))
    }

    /// `workflow` with the newest published calendar and catalogue in place of its files', when the
    /// hub published any: new receipts, deadlines and reports use them. A publication this version
    /// cannot read (a newer file format) is left aside and the files stay in use.
    public func currentWorkflow(_ workflow: Workflow) throws(StoreError) -> Workflow {
        try snapshot("read the published calendar and catalogue") { db in try Self.currentWorkflow(db, workflow) }
    }

    static func currentWorkflow(_ db: Database, _ base: Workflow) throws -> Workflow {
        var workflow = base
        if let calendar = try fetchLatestPublication(db, .calendar), calendar.version != base.calendar.version,
            let parsed = try? WorkingCalendar.load(Data(calendar.content.utf8), file: "published calendar \(calendar.event)")
        {
            workflow.calendar = parsed
        }
        if let catalogue = try fetchLatestPublication(db, .catalogue), catalogue.version != base.catalogue.version,
            let parsed = try? ProcedureCatalogue.load(Data(catalogue.content.utf8), file: "published catalogue \(catalogue.event)")
        {
            workflow.catalogue = parsed
        }
        return workflow
    }
}
