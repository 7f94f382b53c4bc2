#if DEBUG
    import Foundation
#endif

/// Bugs planted on purpose, to prove that the simulator and the fault tests catch real faults
/// (issue 6). Each is switched on at run time by the environment variable
/// `LIENTHONG_PLANTED_BUG=<raw value>` — and only in debug builds: in a release build
/// ``isActive`` is a constant false and the switch does not exist.
public enum PlantedBug: String, CaseIterable, Sendable {
    /// The hub treats a re-sent batch as new events instead of a duplicate.
    case skipDuplicateCheck = "skip-duplicate-check"
    /// The fold orders a dossier's events by hlc alone, ignoring each origin's seq order and `seen`.
    case foldByHLCOnly = "fold-by-hlc-only"
    /// The node records a pushed batch as stored before the hub answers.
    case ackBeforeStored = "ack-before-stored"
    /// The hub stores a batch that starts past its head for the origin (a gap) instead of
    /// answering `gap`.
    case acceptGap = "accept-gap"
    /// The node's local API answers a write before its transaction commits (half a second later).
    case ackBeforeCommit = "ack-before-commit"
    /// The hub answers a push before its transaction commits (half a second later).
    case hubAckBeforeCommit = "hub-ack-before-commit"
    /// The node's local API answers 201, with a made-up dossier, to a receipt the full disk (or a
    /// failing one) refused.
    case acknowledgeFailedWrites = "acknowledge-failed-writes"
    /// The node's sync stops pushing after three failed pushes in a row, for good (a circuit
    /// breaker that never closes again).
    case giveUpAfterFailures = "give-up-after-failures"
    /// The folded state takes the replica's own date (its clock, at fold time) into its state hash:
    /// replicas whose clocks show different days disagree.
    case foldStampsLocalDate = "fold-stamps-local-date"
    /// The hub serves a pull or own request the feed of the node it names (`node=`), whoever's
    /// credential came with it.
    case servesNamedFeed = "serves-named-feed"
    /// ``SanitizerProbe`` reads one past the end of a heap buffer (AddressSanitizer must report it).
    case asanHeapOverflow = "asan-heap-overflow"
    /// ``SanitizerProbe`` increments a shared counter from two threads without its lock
    /// (ThreadSanitizer must report it).
    case tsanDataRace = "tsan-data-race"
    /// The canonical encoder writes control characters other than `\b \t \n \f \r` raw instead of
    /// as `\u00xx`: its output is no longer JSON (the canonical-encoder fuzz target must find it).
    case canonicalRawControl = "canonical-raw-control"

    /// The variable that switches a planted bug on.
    public static let environmentVariable = "LIENTHONG_PLANTED_BUG"

    #if DEBUG
        /// The bug switched on for this process, read once.
        public static let active: PlantedBug? = ProcessInfo.processInfo.environment[environmentVariable].flatMap(PlantedBug.init(rawValue:))
    #else
        public static let active: PlantedBug? = nil
    #endif

    /// Whether this bug is switched on (never in a release build).
    @inline(__always)
    public var isActive: Bool {
        #if DEBUG
            return Self.active == self
        #else
            return false
        #endif
    }
}
