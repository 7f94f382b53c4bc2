import Foundation
import GRDB
import LienThongCore
import LienThongStore

/// One row of `lienthong hub nodes`: a node as its hub sees it (DESIGN §7).
public struct HubNodeStatus: Sendable, Hashable {
    public var node: String
    public var enrolledAt: Int64?
    public var lastSeenAt: Int64?
    public var revokedAt: Int64?
    /// The feed position the node last pulled from (`since`): entries up to it are delivered.
    public var delivered: Int
    /// The last position of the node's feed.
    public var feedEnd: Int
    /// The node's head as stored here ("stored at the hub").
    public var storedHead: Int
    /// The node's own head as it last reported it (`LienThong-Head`).
    public var reportedHead: Int?
    /// The last time the hub held everything the node reported.
    public var caughtUpAt: Int64?
    /// When the oldest entry the node has not pulled was added to its feed.
    public var oldestUndeliveredAt: Int64?
    /// Open conflicts on dossiers the node sees.
    public var openConflicts: Int
    /// The node's clock minus the hub's at its last contact.
    public var skewMs: Int64?
    /// The node's stored events in quarantine.
    public var quarantined: Int

    /// Feed entries the node has not pulled.
    public var undelivered: Int { max(0, feedEnd - delivered) }

    /// Events the node has and the hub does not, as of its last report.
    public var lagEvents: Int { max(0, (reportedHead ?? storedHead) - storedHead) }

    /// How long the hub has lacked some of the node's events (0 when it holds them all).
    public func lagMilliseconds(now: Int64) -> Int64 {
        guard lagEvents > 0 else { return 0 }
        return now - (caughtUpAt ?? enrolledAt ?? now)
    }

    public func json(now: Int64) -> JSONValue {
        func time(_ value: Int64?) -> JSONValue { value.map { .integer(Int($0)) } ?? .null }
        return [
            "node": .string(node), "enrolledAt": time(enrolledAt), "lastSeenAt": time(lastSeenAt), "revokedAt": time(revokedAt),
            "storedHead": .integer(storedHead), "reportedHead": reportedHead.map { .integer($0) } ?? .null,
            "lagEvents": .integer(lagEvents), "lagMs": .integer(Int(lagMilliseconds(now: now))), "undelivered": .integer(undelivered),
            "oldestUndeliveredAt": time(oldestUndeliveredAt), "openConflicts": .integer(openConflicts), "skewMs": time(skewMs),
            "quarantined": .integer(quarantined),
        ]
    }
}

/// Everything `lienthong hub status` reads from the hub's database.
public struct HubStatusFacts: Sendable {
    public var hub: String
    public var office: String
    public var now: Int64
    public var nodes: [HubNodeStatus]
    /// The `hub run` process's last heartbeat.
    public var heartbeat: (at: Int64, pid: Int32, intervalMs: Int64)?
    public var storedEvents: Int
    public var projected: Int
    public var quarantined: Int
    public var openConflicts: Int
    /// Open clone suspicions: origins whose pushes are held until the operator keeps one epoch.
    public var suspectedClones: [CloneSuspicion] = []
    /// The open recovery after a restore from a backup, if any.
    public var recovery: HubRecovery?

    public var projectorLag: Int { max(0, storedEvents - projected) }
}

extension HubDatabase {
    /// Every node the hub serves, with what `hub nodes` shows, on one snapshot.
    public func hubNodeStatuses() throws(StoreError) -> [HubNodeStatus] {
        try snapshot("read the hub's nodes") { db in try Self.fetchHubNodeStatuses(db) }
    }

    static func fetchHubNodeStatuses(_ db: Database) throws -> [HubNodeStatus] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT node, enrolledAt, lastSeenAt, revokedAt, reportedHead, caughtUpAt, skewMs, delivered,
                    (SELECT COALESCE(MAX(seq), 0) FROM event WHERE origin = hubNode.node) AS storedHead,
                    (SELECT COALESCE(MAX(position), 0) FROM feed WHERE feed.node = hubNode.node) AS feedEnd,
                    (SELECT COALESCE(feed.addedAt, (SELECT hlc FROM event WHERE event.position = feed.eventPosition)) FROM feed
                        WHERE feed.node = hubNode.node AND feed.position > hubNode.delivered ORDER BY feed.position LIMIT 1) AS oldest,
                    (SELECT COUNT(*) FROM conflictView JOIN dossierAudience ON dossierAudience.dossier = conflictView.dossier
                        WHERE dossierAudience.origin = hubNode.node AND conflictView.resolution = 'open') AS conflicts,
                    (SELECT COUNT(*) FROM quarantine JOIN event ON event.position = quarantine.eventPosition
                        WHERE event.origin = hubNode.node) AS quarantined
                FROM hubNode ORDER BY node
                """)
        return rows.map { row in
            HubNodeStatus(
                node: row["node"], enrolledAt: row["enrolledAt"], lastSeenAt: row["lastSeenAt"], revokedAt: row["revokedAt"],
                delivered: row["delivered"], feedEnd: row["feedEnd"], storedHead: row["storedHead"], reportedHead: row["reportedHead"],
                caughtUpAt: row["caughtUpAt"], oldestUndeliveredAt: Self.time(row["oldest"]),
                openConflicts: row["conflicts"], skewMs: row["skewMs"], quarantined: row["quarantined"])
        }
    }

    /// The events of dossier `code` that some node may see but has not pulled yet (DESIGN §7:
    /// "decisions not yet delivered, and their age"): for each, the node, the event and its hlc time.
    public func undelivered(dossier code: String) throws(StoreError) -> [(node: String, origin: String, seq: Int, type: String, at: Int64)] {
        try snapshot("read undelivered entries") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT feed.node AS node, event.origin AS origin, event.seq AS seq, event.type AS type,
                        COALESCE(feed.addedAt, event.hlc) AS added
                    FROM feed JOIN event ON event.position = feed.eventPosition JOIN hubNode ON hubNode.node = feed.node
                    WHERE event.dossier = ? AND feed.position > hubNode.delivered ORDER BY feed.node, feed.position
                    """,
                arguments: [code]
            ).map { ($0["node"], $0["origin"], $0["seq"], $0["type"], Self.time($0["added"]) ?? 0) }
        }
    }

    /// A feed entry's time: when it was added (`addedAt`), or for entries from before that column
    /// existed, its event's hlc.
    static func time(_ value: DatabaseValue) -> Int64? {
        switch value.storage {
        case .int64(let milliseconds): milliseconds
        case .string(let hex): HLC(hex: hex).map { Int64($0.physical) }
        default: nil
        }
    }

    /// The facts of `lienthong hub status`.
    public func hubStatusFacts(now: Int64) throws(StoreError) -> HubStatusFacts {
        try snapshot("read the hub's status") { db in
            guard let identity = try Self.fetchIdentity(db) else { throw StoreError.missingIdentity }
            return HubStatusFacts(
                hub: identity.origin, office: identity.officeName, now: now, nodes: try Self.fetchHubNodeStatuses(db),
                heartbeat: try Self.fetchHeartbeat(db),
                storedEvents: try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), 0) FROM event") ?? 0,
                projected: try Int.fetchOne(db, sql: "SELECT position FROM projector WHERE id = 1") ?? 0,
                quarantined: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM quarantine") ?? 0,
                openConflicts: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conflictView WHERE resolution = 'open'") ?? 0,
                suspectedClones: try Self.fetchCloneSuspicions(db, openOnly: true), recovery: try Self.fetchRecovery(db, openOnly: true))
        }
    }
}

extension StatusReport {
    /// The hub's findings (DESIGN §7 from the hub's side): the `hub run` process alive, silent
    /// nodes, decisions waiting undelivered, quarantined events, projector lag, clock skew.
    public static func evaluate(_ facts: HubStatusFacts, thresholds: StatusThresholds) -> StatusReport {
        var findings: [StatusFinding] = []
        let now = facts.now
        func add(_ level: StatusLevel, _ code: String, _ message: String) { findings.append(StatusFinding(level, code, message)) }
        if let beat = facts.heartbeat {
            if now - beat.at > beat.intervalMs * thresholds.missedBeats {
                add(.critical, "hub-down", "`lienthong hub run` (pid \(beat.pid)) last beat \(age(now - beat.at)) ago: start it")
            }
        } else {
            add(.critical, "hub-never-ran", "`lienthong hub run` has never run on this database")
        }
        let active = facts.nodes.filter { $0.revokedAt == nil && $0.enrolledAt != nil }
        let silent = active.filter { now - ($0.lastSeenAt ?? $0.enrolledAt ?? now) > thresholds.silentMs }
        if !silent.isEmpty {
            add(
                .warning, "silent-nodes",
                "\(silent.count) nodes silent for over \(age(thresholds.silentMs)): "
                    + silent.map { "\($0.node) (\($0.lastSeenAt.map { age(now - $0) + " ago" } ?? "never"))" }.joined(separator: ", "))
        }
        let late = active.filter { ($0.oldestUndeliveredAt.map { now - $0 } ?? 0) > thresholds.undeliveredMs }
        if !late.isEmpty {
            add(
                .warning, "undelivered",
                "decisions wait undelivered for over \(age(thresholds.undeliveredMs)) at "
                    + late.map { "\($0.node) (\($0.undelivered))" }.joined(separator: ", "))
        }
        let behind = active.filter { $0.lagMilliseconds(now: now) > thresholds.pendingMs }
        if !behind.isEmpty {
            add(
                .warning, "nodes-behind",
                "events of these nodes have been missing here for over \(age(thresholds.pendingMs)): "
                    + behind.map { "\($0.node) (\($0.lagEvents) events, \(age($0.lagMilliseconds(now: now))))" }.joined(separator: ", "))
        }
        if facts.quarantined > 0 {
            add(.warning, "quarantined", "\(facts.quarantined) stored events are quarantined (neither delivered nor folded): see `lienthong hub nodes`")
        }
        if facts.projectorLag > thresholds.projectorLag * 10 {
            add(.critical, "projector-lag", "the projector is \(facts.projectorLag) events behind")
        } else if facts.projectorLag > thresholds.projectorLag {
            add(.warning, "projector-lag", "the projector is \(facts.projectorLag) events behind")
        }
        if facts.openConflicts > 0 {
            add(.warning, "open-conflicts", "\(facts.openConflicts) open conflicts wait for a person")
        }
        let skewed = active.filter { abs($0.skewMs ?? 0) > thresholds.skewMs }
        if !skewed.isEmpty {
            let critical = skewed.contains { abs($0.skewMs ?? 0) > thresholds.skewCriticalMs }
            add(
                critical ? .critical : .warning, "clock-skew",
                "clocks off by more than \(age(critical ? thresholds.skewCriticalMs : thresholds.skewMs)): "
                    + skewed.map { "\($0.node) (\(($0.skewMs ?? 0) > 0 ? "+" : "−")\(age(abs($0.skewMs ?? 0), rounded: true)))" }.joined(separator: ", "))
        }
        for suspicion in facts.suspectedClones {
            add(
                .critical, "clone-suspected",
                "two machines write as \(suspicion.origin) (since \(age(now - suspicion.since)) ago): its pushes are held; keep one with "
                    + "`lienthong hub fork resolve \(suspicion.origin) --keep EPOCH` (epochs: \(suspicion.sides.map(\.epoch).joined(separator: ", ")))")
        }
        if let recovery = facts.recovery {
            add(
                .warning, "hub-recovering",
                "restored from a backup \(age(now - recovery.startedAt)) ago: taking the hub's own events back from the communes; "
                    + "its decisions are refused until every active commune has synced"
                    + (recovery.waitingFor.isEmpty ? "" : " (waiting for: \(recovery.waitingFor.joined(separator: ", ")))")
                    + (recovery.heldAside > 0 ? "; \(recovery.heldAside) returned events wait for an earlier one" : "")
                    + ". To stop waiting: `lienthong hub restore --finish --actor STAFF`")
        }
        let factsJSON: JSONValue = [
            "hub": .string(facts.hub), "office": .string(facts.office),
            "heartbeat": facts.heartbeat.map { ["at": .integer(Int($0.at)), "pid": .integer(Int($0.pid)), "intervalMs": .integer(Int($0.intervalMs))] }
                ?? .null,
            "storedEvents": .integer(facts.storedEvents), "projected": .integer(facts.projected), "projectorLag": .integer(facts.projectorLag),
            "quarantined": .integer(facts.quarantined), "openConflicts": .integer(facts.openConflicts),
            "suspectedClones": .array(facts.suspectedClones.map(\.json)),
            "recovery": facts.recovery.map { recovery -> JSONValue in
                [
                    "id": .integer(recovery.id), "startedAt": .integer(Int(recovery.startedAt)), "headAtStart": .integer(recovery.headAtStart),
                    "backup": .string(recovery.backup), "waitingFor": .array(recovery.waitingFor.map { .string($0) }),
                    "heldAside": .integer(recovery.heldAside),
                ]
            } ?? .null,
            "nodes": .array(facts.nodes.map { $0.json(now: now) }),
        ]
        return StatusReport(subject: facts.hub, checkedAt: now, findings: findings, facts: factsJSON)
    }
}
