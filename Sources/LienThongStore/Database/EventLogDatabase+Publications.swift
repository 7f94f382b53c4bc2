import Foundation
import GRDB
import LienThongCore
import NIOConcurrencyHelpers

/// A calendar or catalogue the hub published (`lienthong hub publish`): a signed hub event every
/// feed carries, so the swapped working days announced late in the year reach offline offices
/// through the same log as everything else. The event's body holds the file as a JSON object (not
/// as escaped text), so a file fits in one event up to ``EventValidator/maxEventBytes``.
public struct Publication: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case calendar, catalogue

        /// The event type that carries it.
        public var eventType: String { "\(rawValue).published" }
    }

    public var kind: Kind
    public var version: String
    /// The file, as a JSON object.
    public var content: JSONValue
    /// The hub event that carries it: `origin-seq`.
    public var event: String
    public var at: Int64

    public init(kind: Kind, version: String, content: JSONValue, event: String, at: Int64) {
        self.kind = kind
        self.version = version
        self.content = content
        self.event = event
        self.at = at
    }

    /// The event body that publishes `file`'s `content` of `kind` at `now`, after checking that it
    /// parses as that kind of file and fits in one event.
    /// - Throws: ``ConfigError`` naming the field when the file is not a valid calendar or catalogue,
    ///   or is too large for one event.
    public static func body(kind: Kind, content: Data, file: String, now: Int64) throws(ConfigError) -> (body: JSONValue, version: String) {
        let version: String
        switch kind {
        case .calendar: version = try WorkingCalendar.load(content, file: file).version
        case .catalogue: version = try ProcedureCatalogue.load(content, file: file).version
        }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(Array(content))
        } catch {
            throw ConfigError(file: file, field: "", expected: "JSON an event can carry (integers only, ASCII keys)", found: "\(error)")
        }
        let body: JSONValue = ["at": .integer(Int(now)), "version": .string(version), "content": parsed]
        // The event adds its envelope (origin, hashes, signature-free fields) to the body: keep a margin.
        let size = CanonicalJSON.encode(body).count
        guard size <= EventValidator.maxEventBytes - 2048 else {
            throw ConfigError(
                file: file, field: "", expected: "a file of at most \(EventValidator.maxEventBytes - 2048) bytes as compact JSON (one event carries it)",
                found: "\(size) bytes; publish a smaller \(kind.rawValue) (a catalogue split by field is not supported yet)")
        }
        return (body, version)
    }

    /// The file as bytes a loader reads.
    public var data: Data { Data(CanonicalJSON.encode(content)) }
}

extension EventLogDatabase {
    /// The newest publication of `kind` stored here by the one origin trusted to publish (this hub
    /// itself, or at a node the hub it is enrolled with), if any; newest by that hub's own order.
    public func latestPublication(_ kind: Publication.Kind) throws(StoreError) -> Publication? {
        try snapshot("read the published \(kind.rawValue)") { db in try Self.fetchPublications(db, kind, limit: 1).first }
    }

    /// Who may publish here: a hub itself, or the hub a node is enrolled with (nil before enrolment).
    static func publisher(_ db: Database) throws -> String? {
        guard let identity = try fetchIdentity(db) else { return nil }
        if identity.origin.hasPrefix("hub-") { return identity.origin }
        return try String.fetchOne(db, sql: "SELECT hub FROM hubLink WHERE id = 1")
    }

    /// The trusted publisher's publications of `kind`, newest first (by seq: one origin's own order).
    public static func fetchPublications(_ db: Database, _ kind: Publication.Kind, limit: Int = .max) throws -> [Publication] {
        guard let publisher = try publisher(db) else { return [] }
        let rows = try Data.fetchAll(
            db, sql: "SELECT canonical FROM event WHERE type = ? AND dossier IS NULL AND origin = ? ORDER BY seq DESC LIMIT ?",
            arguments: [kind.eventType, publisher, limit])
        return try rows.compactMap { data in
            let event = try decodeStored(data)
            guard let version = event.body["version"]?.stringValue, let content = event.body["content"], content.objectValue != nil else { return nil }
            return Publication(kind: kind, version: version, content: content, event: DossierFold.id(event), at: DossierFold.at(event))
        }
    }

    /// `workflow` with the newest published calendar and catalogue in place of its files', when the
    /// hub published any: new receipts, deadlines and reports use them. A publication this version
    /// cannot read (a newer file format) is left aside and the files stay in use.
    public func currentWorkflow(_ workflow: Workflow) throws(StoreError) -> Workflow {
        try snapshot("read the published calendar and catalogue") { db in try Self.currentWorkflow(db, workflow) }
    }

    public static func currentWorkflow(_ db: Database, _ base: Workflow) throws -> Workflow {
        var workflow = base
        guard let publisher = try publisher(db) else { return workflow }
        if let calendar = try newestParsed(
            db, .calendar, publisher: publisher,
            parse: { publication in
                (try? WorkingCalendar.load(publication.data, file: "published calendar \(publication.event)")).map(ParsedPublication.calendar)
            }), case .calendar(let parsed) = calendar
        {
            workflow.calendar = parsed
        }
        if let catalogue = try newestParsed(
            db, .catalogue, publisher: publisher,
            parse: { publication in
                (try? ProcedureCatalogue.load(publication.data, file: "published catalogue \(publication.event)")).map(ParsedPublication.catalogue)
            }), case .catalogue(let parsed) = catalogue
        {
            workflow.catalogue = parsed
        }
        return workflow
    }

    /// The newest publication of `kind` by `publisher`, parsed (from the cache when its hash was
    /// read before), or nil when there is none or this version cannot read it.
    static func newestParsed(_ db: Database, _ kind: Publication.Kind, publisher: String, parse: (Publication) -> ParsedPublication?) throws
        -> ParsedPublication?
    {
        guard
            let hash = try String.fetchOne(
                db, sql: "SELECT hash FROM event WHERE type = ? AND dossier IS NULL AND origin = ? ORDER BY seq DESC LIMIT 1",
                arguments: [kind.eventType, publisher])
        else { return nil }
        if let cached = ParsedPublication.cache.withLockedValue({ $0[hash] }) { return cached }
        guard let publication = try fetchPublications(db, kind, limit: 1).first, let parsed = parse(publication) else { return nil }
        ParsedPublication.cache.withLockedValue { $0[hash] = parsed }
        return parsed
    }
}

/// A publication as the workflow uses it.
enum ParsedPublication: Sendable {
    case calendar(WorkingCalendar)
    case catalogue(ProcedureCatalogue)

    /// Parsed publications by event hash: every dossier write reads the newest publication, and
    /// parsing a 10–60 KiB file each time would sit on the write path. An event's hash names its
    /// content for good, so entries never go stale; one per publication ever read.
    static let cache = NIOLockedValueBox<[String: ParsedPublication]>([:])
}
