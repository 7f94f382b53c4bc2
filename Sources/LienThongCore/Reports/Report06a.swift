/// Biểu II.06a (Tình hình, kết quả giải quyết thủ tục hành chính): per period, per commune and per
/// field (lĩnh vực), what was received, resolved and is still pending, computed from the dossiers'
/// timelines alone — so the same events give the same figures, byte for byte, at a commune and at
/// the hub.
///
/// The rules (DESIGN §4, and the README's Reports section):
/// - The period is `from`…`to`, whole days in Asia/Ho_Chi_Minh.
/// - Received: every dossier received before the period's end and not finished before its start;
///   "in the period" if received on or after its start (online, or at the counter and by post),
///   "carried over" otherwise.
/// - Resolved: finished within the period. Early when finished on a calendar date before the
///   deadline's, on time on the same date, late after it; refused, stopped and withdrawn dossiers,
///   and procedures without a deadline, count as on time.
/// - Pending: not finished at the period's end, judged then and never at the moment the report
///   runs: late when the deadline in force falls on or before the last day (so it has passed by the
///   end of it), within time otherwise or while a supplement request stops the clock.
/// - On-time rate = (early + on time) / resolved.
public struct Report06a: Sendable, Hashable {
    /// One line of figures.
    public struct Figures: Sendable, Hashable {
        public var receivedOnline = 0
        public var receivedCounterOrPost = 0
        public var carriedOver = 0
        public var early = 0
        public var onTime = 0
        public var resolvedLate = 0
        public var pendingWithinTime = 0
        public var pendingLate = 0

        public init() {}

        public var receivedInPeriod: Int { receivedOnline + receivedCounterOrPost }
        public var received: Int { receivedInPeriod + carriedOver }
        public var resolved: Int { early + onTime + resolvedLate }
        public var pending: Int { pendingWithinTime + pendingLate }

        /// (early + on time) / resolved in hundredths of a percent, rounded half up; nil when
        /// nothing was resolved.
        public var onTimeRateBasisPoints: Int? {
            guard resolved > 0 else { return nil }
            return ((early + onTime) * 20_000 + resolved) / (2 * resolved)
        }

        /// `97.50`, or nil when nothing was resolved.
        public var onTimeRate: String? {
            onTimeRateBasisPoints.map { "\($0 / 100).\(LocalDate.pad($0 % 100, 2))" }
        }

        static func + (lhs: Figures, rhs: Figures) -> Figures {
            var sum = lhs
            sum.receivedOnline += rhs.receivedOnline
            sum.receivedCounterOrPost += rhs.receivedCounterOrPost
            sum.carriedOver += rhs.carriedOver
            sum.early += rhs.early
            sum.onTime += rhs.onTime
            sum.resolvedLate += rhs.resolvedLate
            sum.pendingWithinTime += rhs.pendingWithinTime
            sum.pendingLate += rhs.pendingLate
            return sum
        }
    }

    /// A row: a field of one commune, a commune's subtotal, or the total.
    public struct Row: Sendable, Hashable {
        public enum Level: String, Sendable, Hashable { case field, commune, total }
        public var level: Level
        /// `1`, `1.2`, or empty for the total.
        public var number: String
        /// The commune's agency code (empty for the total).
        public var commune: String
        /// The field's code (empty for commune and total rows).
        public var field: String
        public var name: String
        public var figures: Figures
    }

    /// What a report covers.
    public struct Scope: Sendable, Hashable {
        public var from: LocalDate
        public var to: LocalDate
        /// The reporting unit as the title prints it, e.g. "UBND thị trấn Ma Lâm (23059)".
        public var unit: String
        /// Only this field (lĩnh vực) code, if given.
        public var field: String?

        public init(from: LocalDate, to: LocalDate, unit: String, field: String? = nil) {
            self.from = from
            self.to = to
            self.unit = unit
            self.field = field
        }
    }

    public var scope: Scope
    public var rows: [Row]

    private struct Key: Hashable {
        var commune: String
        var field: String
    }

    /// How a dossier counts in a period, or nil when it is outside it.
    public static func classify(_ timeline: DossierTimeline, from: LocalDate, to: LocalDate) -> Figures? {
        let start = from.milliseconds(atMinute: 0)
        let end = to.adding(days: 1).milliseconds(atMinute: 0)
        guard timeline.receivedAt < end, !timeline.finished(before: start) else { return nil }
        var figures = Figures()
        if timeline.receivedAt >= start {
            if timeline.channel == .online { figures.receivedOnline = 1 } else { figures.receivedCounterOrPost = 1 }
        } else {
            figures.carriedOver = 1
        }
        if let finish = timeline.finish, finish.at < end {
            let deadline = finish.deadline.deadline
            if finish.kind.countsOnTime || deadline == nil {
                figures.onTime = 1
            } else if let deadline {
                let finished = LocalDate(vietnamTimeOf: finish.at)
                let due = LocalDate(vietnamTimeOf: deadline)
                if finished < due { figures.early = 1 } else if finished == due { figures.onTime = 1 } else { figures.resolvedLate = 1 }
            }
        } else {
            let change = timeline.deadline(before: end)
            if !change.paused, let deadline = change.deadline, LocalDate(vietnamTimeOf: deadline) <= to {
                figures.pendingLate = 1
            } else {
                figures.pendingWithinTime = 1
            }
        }
        return figures
    }

    /// The report over `timelines` for `scope`. Names come from the dossiers themselves (what the
    /// receiving office wrote), so every replica holding the same events prints the same bytes.
    public init(_ timelines: some Sequence<DossierTimeline>, scope: Scope) {
        self.scope = scope
        var figures: [Key: Figures] = [:]
        var fieldNames: [Key: String] = [:]
        var officeNames: [String: String] = [:]
        for timeline in timelines {
            if let field = scope.field, timeline.fieldCode != field { continue }
            guard let counted = Self.classify(timeline, from: scope.from, to: scope.to) else { continue }
            let key = Key(commune: timeline.agency, field: timeline.fieldCode)
            figures[key] = (figures[key] ?? Figures()) + counted
            // The smallest name wins, so the rows do not depend on the order of the dossiers.
            fieldNames[key] = min(fieldNames[key] ?? timeline.fieldName, timeline.fieldName)
            officeNames[timeline.agency] = min(officeNames[timeline.agency] ?? timeline.officeName, timeline.officeName)
        }
        let communes = Set(figures.keys.map(\.commune)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var rows: [Row] = []
        var total = Figures()
        for (index, commune) in communes.enumerated() {
            let keys = figures.keys.filter { $0.commune == commune }.sorted { $0.field.utf8.lexicographicallyPrecedes($1.field.utf8) }
            let subtotal = keys.reduce(Figures()) { $0 + (figures[$1] ?? Figures()) }
            total = total + subtotal
            let several = communes.count > 1
            if several {
                let name = officeNames[commune] ?? commune
                rows.append(Row(level: .commune, number: String(index + 1), commune: commune, field: "", name: "\(name) (\(commune))", figures: subtotal))
            }
            for (position, key) in keys.enumerated() {
                rows.append(
                    Row(
                        level: .field, number: several ? "\(index + 1).\(position + 1)" : String(position + 1), commune: commune, field: key.field,
                        name: fieldNames[key] ?? key.field, figures: figures[key] ?? Figures()))
            }
        }
        rows.append(Row(level: .total, number: "", commune: "", field: "", name: "Tổng cộng", figures: total))
        self.rows = rows
    }

    /// The total row's figures.
    public var total: Figures { rows.last?.figures ?? Figures() }
}
