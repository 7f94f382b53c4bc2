import Foundation
import GRDB
import LienThongCore

/// What a dossier write saved: the appended events and the dossier's state after them.
public struct DossierWrite: Sendable {
    public var events: [Event]
    public var state: DossierState

    public init(events: [Event], state: DossierState) {
        self.events = events
        self.state = state
    }
}

/// One row of `dossier list`, read from the dossier projection.
public struct DossierSummary: Sendable, Hashable {
    public var code: String
    public var status: DossierStatus?
    public var owner: String?
    public var procedureCode: String
    public var procedureName: String
    public var applicantName: String
    public var channel: String
    public var receivedAt: Int64?
    public var appointment: Int64?
    public var openConflicts: Int
    public var statusConflict: Bool

    /// Whether the dossier is past its appointment at `now` and not finished.
    public func isOverdue(at now: Int64) -> Bool {
        DossierStatus.isOverdue(status, appointment: appointment, at: now)
    }

    /// One row as `dossier list --json` and the local API print it.
    public func json(now: Int64) -> JSONValue {
        [
            "code": .string(code), "status": status.map { .string($0.rawValue) } ?? .null, "owner": owner.map(JSONValue.string) ?? .null,
            "procedure": .string(procedureCode), "applicant": .string(applicantName), "channel": .string(channel),
            "receivedAt": receivedAt.map { .integer(Int($0)) } ?? .null, "appointment": appointment.map { .integer(Int($0)) } ?? .null,
            "overdue": .bool(isOverdue(at: now)), "openConflicts": .integer(openConflicts),
        ]
    }
}

/// Which dossiers `dossier list` shows.
public struct DossierFilter: Sendable, Hashable {
    public var status: DossierStatus?
    /// Only dossiers past their appointment at `now` and not finished.
    public var overdueAt: Int64?
    /// Only unfinished dossiers whose appointment falls in this range (due soon).
    public var dueBetween: ClosedRange<Int64>?
    public var limit: Int

    public init(status: DossierStatus? = nil, overdueAt: Int64? = nil, dueBetween: ClosedRange<Int64>? = nil, limit: Int = 1000) {
        self.status = status
        self.overdueAt = overdueAt
        self.dueBetween = dueBetween
        self.limit = limit
    }
}

extension EventLogDatabase {
    /// Receives a new dossier (tiếp nhận hồ sơ): checks the intake, allocates the next code of this
    /// office's agency for today (Vietnam time) and appends `dossier.received`, all in one IMMEDIATE
    /// transaction, so concurrent writers get distinct codes with no gap.
    public func receive(
        _ intake: Workflow.Intake, actor: String, workflow: Workflow, key: SigningKey, wallMilliseconds: () -> UInt64
    ) throws(StoreError) -> DossierWrite {
        // A refused intake throws inside the transaction, which rolls the counter back with it.
        try immediateTransaction("receive a dossier") { db in
            try Self.receive(db, intake, actor: actor, workflow: workflow, key: key, wallMilliseconds: wallMilliseconds)
        }
    }

    static func receive(
        _ db: Database, _ intake: Workflow.Intake, actor: String, workflow: Workflow, key: SigningKey, wallMilliseconds: () -> UInt64
    ) throws -> DossierWrite {
        let now = Int64(wallMilliseconds())
        let workflow = try currentWorkflow(db, workflow)
        let code = try allocateCode(db, agency: workflow.agencyCode, date: LocalDate(vietnamTimeOf: now))
        let draft: EventDraft
        do {
            draft = try workflow.receive(intake, code: code, actor: actor, now: now)
        } catch {
            throw StoreError.workflow(error)
        }
        let (events, _) = try append([draft], db, key: key, wallMilliseconds: wallMilliseconds, validator: EventValidator())
        let state = try refreshProjection(db, code: code, events: events)
        return DossierWrite(events: events, state: state)
    }

    /// Carries out `command` on dossier `code` in one IMMEDIATE transaction: folds its events,
    /// checks the authority table and the input, appends the event and refreshes the projection.
    /// A refused command writes nothing.
    public func perform(
        _ command: Workflow.Command, on code: String, actor: String, workflow: Workflow, key: SigningKey,
        wallMilliseconds: () -> UInt64
    ) throws(StoreError) -> DossierWrite {
        try immediateTransaction("write a dossier event") { db in
            try Self.perform(db, command, on: code, actor: actor, workflow: workflow, key: key, wallMilliseconds: wallMilliseconds)
        }
    }

    static func perform(
        _ db: Database, _ command: Workflow.Command, on code: String, actor: String, workflow: Workflow, key: SigningKey,
        wallMilliseconds: () -> UInt64
    ) throws -> DossierWrite {
        let now = Int64(wallMilliseconds())
        let workflow = try currentWorkflow(db, workflow)
        let events = try fetchEvents(db, dossier: code)
        let draft: EventDraft
        do {
            draft = try workflow.draft(command, code: code, events: events, actor: actor, now: now)
        } catch {
            throw StoreError.workflow(error)
        }
        let (appended, _) = try append([draft], db, key: key, wallMilliseconds: wallMilliseconds, validator: EventValidator())
        let state = try refreshProjection(db, code: code, events: events + appended)
        return DossierWrite(events: appended, state: state)
    }

    /// The next free code `<agency>-<YYMMDD>-<NNNN>` for `date`, advancing the day's counter. A
    /// number already used by a stored event (for instance after a restore) is skipped.
    static func allocateCode(_ db: Database, agency: String, date: LocalDate, avoiding: Set<String> = []) throws -> String {
        let day = date.iso
        var last = try Int.fetchOne(db, sql: "SELECT last FROM dossierCounter WHERE agency = ? AND day = ?", arguments: [agency, day]) ?? 0
        while true {
            last += 1
            guard let code = DossierCode.make(agency: agency, date: date, counter: last) else {
                throw StoreError.workflow(.counterExhausted(agency: agency, date: day))
            }
            let taken = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE dossier = ?)", arguments: [code]) ?? false
            if !taken && !avoiding.contains(code) {
                try db.execute(
                    sql: "INSERT INTO dossierCounter (agency, day, last) VALUES (?, ?, ?) ON CONFLICT (agency, day) DO UPDATE SET last = excluded.last",
                    arguments: [agency, day, last])
                return code
            }
        }
    }

    static func fetchEvents(_ db: Database, dossier code: String) throws -> [Event] {
        let blobs = try Data.fetchAll(db, sql: "SELECT canonical FROM event WHERE dossier = ? ORDER BY position", arguments: [code])
        return try blobs.map { data in
            do {
                return try Event(bytes: Array(data))
            } catch {
                throw StoreError.malformedFile(path: "event log", reason: "\(error); run `lienthong node log verify`")
            }
        }
    }

    /// The events of dossier `code`, in arrival order.
    public func events(ofDossier code: String) throws(StoreError) -> [Event] {
        try snapshot("read a dossier's events") { db in try Self.fetchEvents(db, dossier: code) }
    }

    /// The folded state of dossier `code`, computed from its events (at a hub, those not
    /// quarantined), or nil if none is stored.
    public func dossier(_ code: String) throws(StoreError) -> DossierState? {
        let events = try snapshot("read a dossier's events") { db in try Self.fetchVisible(db, dossier: code).map(\.event) }
        return events.isEmpty ? nil : DossierFold.fold(code: code, events: events)
    }

    /// Dossiers from the projection, newest first.
    public func dossiers(_ filter: DossierFilter) throws(StoreError) -> [DossierSummary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        let unfinished = "status NOT IN ('3', '7', '8', '9', '10')"
        if let status = filter.status {
            conditions.append("status = ?")
            _ = arguments.append(contentsOf: [status.rawValue])
        }
        if let now = filter.overdueAt {
            // Waiting for the citizen's supplement stops the clock: not overdue.
            conditions.append("appointment IS NOT NULL AND appointment < ? AND \(unfinished) AND status <> '\(DossierStatus.supplementRequested.rawValue)'")
            _ = arguments.append(contentsOf: [now])
        }
        if let range = filter.dueBetween {
            conditions.append("appointment IS NOT NULL AND appointment >= ? AND appointment <= ? AND \(unfinished)")
            _ = arguments.append(contentsOf: [range.lowerBound, range.upperBound])
        }
        _ = arguments.append(contentsOf: [filter.limit])
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT code, status, owner, procedureCode, procedureName, applicantName, channel, receivedAt, appointment, openConflicts, statusConflict
            FROM dossierView \(whereClause) ORDER BY receivedAt DESC, code DESC LIMIT ?
            """
        return try snapshot("list dossiers") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                DossierSummary(
                    code: row["code"], status: (row["status"] as String?).flatMap(DossierStatus.init(rawValue:)), owner: row["owner"],
                    procedureCode: row["procedureCode"], procedureName: row["procedureName"], applicantName: row["applicantName"],
                    channel: row["channel"], receivedAt: row["receivedAt"], appointment: row["appointment"], openConflicts: row["openConflicts"],
                    statusConflict: row["statusConflict"])
            }
        }
    }

    /// Refolds dossier `code` from its stored events and replaces its projection rows, in one
    /// transaction: for a writer that appended through ``append(_:key:wallMilliseconds:validator:)``
    /// rather than a dossier command (which refreshes in its own transaction).
    @discardableResult
    public func refreshProjection(dossier code: String) throws(StoreError) -> DossierState {
        try immediateTransaction("refold a dossier") { db in try Self.refreshProjection(db, code: code) }
    }

    /// Refolds dossier `code` from its events (`events` when the caller holds them all, else read)
    /// and replaces its projection rows.
    @discardableResult
    public static func refreshProjection(_ db: Database, code: String, events: [Event]? = nil) throws -> DossierState {
        let state = DossierFold.fold(code: code, events: try events ?? fetchEvents(db, dossier: code))
        for table in ["conflictView", "handoverView"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE dossier = ?", arguments: [code])
        }
        try db.execute(sql: "DELETE FROM dossierView WHERE code = ?", arguments: [code])
        try db.execute(
            sql: """
                INSERT INTO dossierView (code, status, owner, receivingOffice, procedureCode, procedureName, fieldCode, applicantName,
                    channel, receivedAt, appointment, finishedAt, openConflicts, statusConflict, needsUpgrade, waiting, stateHash, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                state.code, state.status?.rawValue, state.owner, state.receivingOffice, state.procedureCode, state.procedureName,
                state.fieldCode, state.applicant.name, state.channel, state.receivedAt, state.appointment, state.finishedAt,
                state.openConflicts.count, state.hasOpenStatusConflict, state.needsUpgrade.count, state.waiting.count, state.stateHash,
                CanonicalJSON.string(state.json),
            ])
        for conflict in state.conflicts {
            try db.execute(
                sql: """
                    INSERT INTO conflictView (dossier, id, type, origin, actor, at, owner, status, reasonVi, reasonEn, resolution, resolvedBy)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    code, conflict.id, conflict.type, conflict.origin, conflict.actor, conflict.at, conflict.owner, conflict.status,
                    conflict.reasonVietnamese, conflict.reasonEnglish, conflict.resolution.rawValue, conflict.resolvedBy,
                ])
        }
        for (position, handover) in state.handovers.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO handoverView (dossier, position, event, office, fromActor, toActor, step, stepName, allottedHours, at, due,
                        completedAt, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    code, position, handover.event, handover.office, handover.fromActor, handover.toActor, handover.step, handover.stepName,
                    handover.allottedHours, handover.at, handover.due, handover.completedAt, handover.outcome?.rawValue,
                ])
        }
        return state
    }

    /// Drops every projection row and rebuilds them from the events, in one transaction.
    /// `progress` hears (done, total) dossiers.
    /// - Returns: the number of dossiers rebuilt.
    @discardableResult
    public func rebuildProjections(progress: (Int, Int) -> Void = { _, _ in }) throws(StoreError) -> Int {
        try immediateTransaction("rebuild projections") { db in
            for table in ["dossierView", "conflictView", "handoverView"] { try db.execute(sql: "DELETE FROM \(table)") }
            let codes = try String.fetchAll(db, sql: "SELECT DISTINCT dossier FROM event WHERE dossier IS NOT NULL ORDER BY dossier")
            for (index, code) in codes.enumerated() {
                try Self.refreshProjection(db, code: code, events: Self.fetchVisible(db, dossier: code).map(\.event))
                if (index + 1) % 500 == 0 || index + 1 == codes.count { progress(index + 1, codes.count) }
            }
            return codes.count
        }
    }

    /// Every projection row as text, table by table in key order: for comparing two rebuilds.
    public func projectionRows() throws(StoreError) -> [String] {
        try snapshot("read projections") { db in
            var lines: [String] = []
            for (table, order) in [("dossierView", "code"), ("conflictView", "dossier, id"), ("handoverView", "dossier, position")] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)") {
                    lines.append("\(table) \(row.description)")
                }
            }
            return lines
        }
    }
}
