import LienThongCore
import LienThongWire

/// The node's sync loop as a state machine with no I/O (DESIGN §5): ``next(now:)`` says what to do,
/// ``handle(_:now:)`` hears how it went. Two lanes run independently — push and pull — so a
/// long-poll never holds back a local write. Time and randomness come in from outside (`now`, a
/// seeded jitter source), so the simulator and tests drive it deterministically.
public struct SyncEngine: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The first push batch; it doubles after a success under ``fastPushMilliseconds`` and halves
        /// on a timeout or a 413, never past the hub's cap.
        public var initialBatch = 100
        public var fastPushMilliseconds: Int64 = 2_000
        public var pullLimit = 500
        /// How long a caught-up pull waits at the hub for news.
        public var longPollSeconds = 25
        /// Backoff after a failure: base × 2^(failures − 1), capped, times a jitter in [0.5, 1).
        public var backoffBaseMilliseconds: Int64 = 1_000
        public var backoffCapMilliseconds: Int64 = 300_000

        public init() {}
    }

    public enum Action: Sendable, Hashable {
        /// Push up to `limit` of the node's events after the hub's acknowledged head.
        case push(afterSeq: Int, limit: Int)
        /// Pull the feed after `since`, waiting up to `wait` seconds if it is empty.
        case pull(since: Int, limit: Int, wait: Int)
        /// The hub answered `fork` (this machine was restored from a backup): take back this node's
        /// own events the hub holds from `fromSeq` and heal (DESIGN §5). Runs on the push lane.
        case takeBack(fromSeq: Int)
        /// The hub was restored from a backup and is recovering (`recovery`): give it back the
        /// hub's own events this node holds after `afterSeq` (DESIGN §5). Runs on the push lane.
        case returnHub(recovery: Int, afterSeq: Int, limit: Int)
    }

    /// Why a request failed.
    public enum Failure: Sendable, Hashable {
        /// No answer in time (the batch may be too big for the link).
        case timeout
        /// 413: over the hub's caps.
        case tooLarge
        /// Connection refused, reset, DNS, 5xx: try again later.
        case unavailable(String)
        /// 401/403/400: nothing will change by retrying soon; backs off to the cap.
        case refused(String)
        /// 409 hub-behind: the hub was restored; re-push from its head, pull from its feed's end.
        case hubBehind(feedEnd: Int, storedSeq: Int)

        public var isHubBehind: Bool {
            if case .hubBehind = self { return true }
            return false
        }
    }

    public enum Result: Sendable, Hashable {
        /// The node's own head after a local write (noticed by the daemon).
        case localHead(seq: Int)
        /// The hub answered a push: its head for this origin and the outcome.
        case pushed(outcome: PushOutcome, storedSeq: Int, reason: String?, milliseconds: Int64)
        /// Nothing was waiting to push after all.
        case nothingToPush
        case pushFailed(Failure)
        /// A page was stored up to `to`; the feed ends at `end`.
        case pulled(to: Int, end: Int)
        case pullFailed(Failure)
        /// The hub's caps, from any answer.
        case caps(HubCaps)
        /// The hub holds this node's events up to `seq` (told with every pulled page).
        case hubHolds(seq: Int)
        /// The fork was healed: the node's head and the hub's head for it now.
        case healed(localHead: Int, storedSeq: Int)
        case healFailed(Failure)
        /// A pulled page said the hub is recovering from a restore, with its own head.
        case hubRecovering(recovery: Int, hubHead: Int)
        /// A hub restored from a backup holds this node's events only up to `seq`: push again after it.
        case hubLost(seq: Int)
        /// A return was answered: the node's held events up to `throughSeq` went back; `more` if
        /// it holds further ones; `recovering` as the hub said.
        case returned(recovery: Int, throughSeq: Int, more: Bool)
        case returnFailed(Failure)
        /// The hub's history did not attach to this node's at the seq a take-back started from
        /// (the hub's head there is another event): take back again from `fromSeq`.
        case rewind(fromSeq: Int)
    }

    public let configuration: Configuration
    public private(set) var localHead: Int
    public private(set) var storedSeq: Int
    public private(set) var pulled: Int
    public private(set) var batchSize: Int
    public private(set) var maxBatch: Int
    public private(set) var pushInFlight = false
    public private(set) var pullInFlight = false
    public private(set) var pushFailures = 0
    public private(set) var pullFailures = 0
    public private(set) var pushNotBefore: Int64 = 0
    public private(set) var pullNotBefore: Int64 = 0
    /// The feed's end as last heard: a pull long-polls only when caught up.
    public private(set) var feedEnd: Int
    /// Whether ``feedEnd`` came from the hub since the last failure. The first pull of a run, and
    /// the first after a failure, never waits: it confirms contact at once (status reads it).
    private var feedEndHeard = false
    /// Set when the hub answered `fork`: the next push-lane action takes the node's own events back.
    public private(set) var healing = false
    /// Set when the hub answered epoch-fenced or invalid: pushing stops until a person acts
    /// (status reports it); pulling goes on.
    public private(set) var blocked: (outcome: PushOutcome, reason: String)?
    /// Set when the hub answered clone-suspected (two machines write as this origin): the first
    /// answer takes the hub's events back and heals like a fork (a diverged clone re-appends its
    /// branch in a new epoch); later ones mean the hub holds the pushes until its operator keeps
    /// one epoch, so the engine asks again every ``Configuration/backoffCapMilliseconds``. While
    /// set, the hub holding more than this node has does not start a take-back: after the operator
    /// kept the other machine, this one must hear `epoch-fenced` rather than heal past it.
    /// Cleared by a stored, duplicate or gap answer.
    public private(set) var heldAsClone: String?
    /// The hub's head for this origin in the answer that held this node (`clone-suspected`). While
    /// a suspicion is open the hub stores nothing more of the origin, so its head stays put; a
    /// `clone-suspected` naming another head comes from a new suspicion — the operator settled the
    /// one that held this node (`--close-only`, both machines in one epoch) and the other machine's
    /// events entered the chain since — and is a first answer again: take back and heal, so the
    /// two machines part into two epochs the operator can tell apart.
    public private(set) var heldAtHead: Int?
    /// Set while the hub, restored from a backup, waits for this node's return of its events:
    /// the recovery and the seq to return after. Cleared when the last page was answered.
    public private(set) var returning: (recovery: Int, afterSeq: Int)?
    /// The recovery this node has returned everything for (asked once per recovery).
    public private(set) var returnedRecovery: Int?
    /// Where the next take-back starts when not after the acknowledged head (set by `.rewind`).
    public private(set) var healFrom: Int?
    private var random: SplitMix64

    public init(localHead: Int, storedSeq: Int, pulled: Int, seed: UInt64, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.localHead = localHead
        self.storedSeq = storedSeq
        self.pulled = pulled
        self.feedEnd = pulled
        // The hub holds more of this node's events than it has: restored from a backup.
        self.healing = storedSeq > localHead
        self.batchSize = configuration.initialBatch
        self.maxBatch = HubCaps.standard.maxEventsPerBatch
        self.random = SplitMix64(seed: seed)
    }

    /// Events saved here that the hub has not acknowledged.
    public var pending: Int { max(0, localHead - storedSeq) }

    /// What to start now. Each lane has at most one request in flight.
    public mutating func next(now: Int64) -> [Action] {
        var actions: [Action] = []
        if !pushInFlight, blocked == nil, healing, now >= pushNotBefore {
            pushInFlight = true
            actions.append(.takeBack(fromSeq: healFrom ?? min(storedSeq, localHead) + 1))
        } else if !pushInFlight, let returning, now >= pushNotBefore {
            pushInFlight = true
            actions.append(.returnHub(recovery: returning.recovery, afterSeq: returning.afterSeq, limit: batchSize))
        } else if !pushInFlight, blocked == nil, localHead > storedSeq, now >= pushNotBefore {
            pushInFlight = true
            actions.append(.push(afterSeq: storedSeq, limit: batchSize))
        }
        if !pullInFlight, now >= pullNotBefore {
            pullInFlight = true
            let caughtUp = feedEndHeard && pulled >= feedEnd
            actions.append(.pull(since: pulled, limit: configuration.pullLimit, wait: caughtUp ? configuration.longPollSeconds : 0))
        }
        return actions
    }

    /// When an idle lane may start again, if one is waiting out a backoff.
    public func wakeUp(now: Int64) -> Int64? {
        var times: [Int64] = []
        if !pushInFlight, (blocked == nil && (localHead > storedSeq || healing)) || returning != nil, pushNotBefore > now {
            times.append(pushNotBefore)
        }
        if !pullInFlight, pullNotBefore > now { times.append(pullNotBefore) }
        return times.min()
    }

    public mutating func handle(_ result: Result, now: Int64) {
        switch result {
        case .localHead(let seq):
            localHead = max(localHead, seq)
        case .caps(let caps):
            maxBatch = max(1, caps.maxEventsPerBatch)
            batchSize = min(batchSize, maxBatch)
        case .nothingToPush:
            pushInFlight = false
            storedSeq = max(storedSeq, localHead)
        case .pushed(let outcome, let seq, let reason, let milliseconds):
            pushInFlight = false
            switch outcome {
            case .stored, .duplicate, .gap:
                storedSeq = seq
                heldAsClone = nil
                heldAtHead = nil
                // The hub holds more of this node's events than it has: restored from a backup.
                if seq > localHead { healing = true }
                pushFailures = 0
                pushNotBefore = now
                if outcome != .gap && milliseconds < configuration.fastPushMilliseconds { batchSize = min(batchSize * 2, maxBatch) }
            case .fork:
                healing = true
                pushNotBefore = now
            case .cloneSuspected:
                // The first answer of a suspicion takes back; later ones of the same suspicion (held
                // since, at the same hub head) wait for the operator.
                if heldAsClone != nil, heldAtHead == seq {
                    pushNotBefore = now + configuration.backoffCapMilliseconds
                } else {
                    healing = true
                    pushNotBefore = now
                }
                heldAsClone = reason ?? outcome.rawValue
                heldAtHead = seq
            case .epochFenced, .invalid:
                blocked = (outcome, reason ?? outcome.rawValue)
            }
        case .hubHolds(let seq):
            // More than this node has: it was restored from a backup; take its events back.
            if seq > localHead, blocked == nil, heldAsClone == nil { healing = true }
        case .rewind(let seq):
            pushInFlight = false
            healing = true
            healFrom = seq
            pushNotBefore = now
        case .healed(let head, let seq):
            pushInFlight = false
            healing = false
            healFrom = nil
            localHead = max(head, seq)
            storedSeq = seq
            pushFailures = 0
            pushNotBefore = now
        case .hubLost(let seq):
            storedSeq = min(storedSeq, seq)
        case .hubRecovering(let recovery, let hubHead):
            if returning?.recovery != recovery, returnedRecovery != recovery { returning = (recovery, hubHead) }
        case .returned(let recovery, let throughSeq, let more):
            pushInFlight = false
            pushFailures = 0
            pushNotBefore = now
            if more {
                returning = (recovery, throughSeq)
            } else {
                returning = nil
                returnedRecovery = recovery
            }
        case .returnFailed(.tooLarge) where batchSize > 1:
            pushInFlight = false
            batchSize = max(1, batchSize / 2)
            pushNotBefore = now
        case .returnFailed(let failure), .healFailed(let failure):
            pushInFlight = false
            pushFailures += 1
            pushNotBefore = now + backoff(failures: pushFailures)
            if case .refused = failure { pushNotBefore = now + configuration.backoffCapMilliseconds }
        case .pushFailed(let failure):
            pushInFlight = false
            switch failure {
            case .tooLarge where batchSize > 1:
                batchSize = max(1, batchSize / 2)
                pushNotBefore = now
            case .hubBehind(_, let seq):
                storedSeq = seq
                pushNotBefore = now
            default:
                if case .timeout = failure { batchSize = max(1, batchSize / 2) }
                pushFailures += 1
                pushNotBefore = now + backoff(failures: pushFailures)
                if PlantedBug.giveUpAfterFailures.isActive, pushFailures >= 3 { pushNotBefore = now + 365 * 86_400_000 }
            }
        case .pulled(let to, let end):
            pullInFlight = false
            pulled = max(pulled, to)
            feedEnd = end
            feedEndHeard = true
            pullFailures = 0
            pullNotBefore = now
        case .pullFailed(let failure):
            pullInFlight = false
            if case .hubBehind(let end, let seq) = failure {
                pulled = end
                feedEnd = end
                feedEndHeard = true
                storedSeq = min(storedSeq, seq)
                pullNotBefore = now
                return
            }
            feedEndHeard = false
            pullFailures += 1
            pullNotBefore = now + backoff(failures: pullFailures)
        }
    }

    /// Capped exponential backoff with jitter in [0.5, 1).
    mutating func backoff(failures: Int) -> Int64 {
        let exponent = min(max(failures - 1, 0), 20)
        let delay = min(configuration.backoffCapMilliseconds, configuration.backoffBaseMilliseconds << Int64(exponent))
        let jitter = 0.5 + Double(random.next() >> 11) / Double(1 << 53) / 2
        return Int64(Double(delay) * jitter)
    }
}

/// A small seeded generator (SplitMix64): deterministic jitter for the engine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
