import Foundation
import LienThongCore
import LienThongHub
import LienThongStore

/// The invariants of a simulated run (issue 6):
/// - nothing the hub answered as stored is lost;
/// - nothing is stored twice (one event per (origin, seq), one re-append per forked event, one
///   feed entry per event and node);
/// - nothing a clerk was told was saved is lost, unless a restore took the disk it was on (then the
///   hub must hold it, or the healed branch must carry it as `replaces` — through several heals
///   when a re-appended event was forked and re-appended again, each step kept as evidence);
/// - every chain verifies, at every node and at the hub;
/// - after healing and draining, every node holds the dossiers the hub says it sees, with the
///   hub's state hash (conflict sets included in it);
/// - the fold honours causality: in each dossier's order, every event comes after the events its
///   `seen` names and after its origin's earlier events;
/// - `status` never said OK while own events older than its threshold were missing at the hub.
extension Simulation {
    /// During the run: a live node whose status is OK must have no own event older than the
    /// `events-pending` threshold that the hub does not hold.
    func checkStatusInvariant() throws {
        guard hubUp else { return }
        for node in nodes where node.up && !node.retired {
            guard let database = node.database else { continue }
            let facts = try database.statusFacts(now: local(node), workingTime: node.workflow.workingTime, verifyChain: false)
            let thresholds = StatusThresholds()
            let report = StatusReport.evaluate(facts, thresholds: thresholds)
            guard report.level == .ok else { continue }
            let held = try hubDatabase.head(origin: node.origin)?.seq ?? 0
            guard let oldest = try database.events(origin: node.origin, fromSeq: held + 1, limit: 1).first else { continue }
            // An event the hub acknowledged and then lost with a restore is pending again only
            // since the restore: the node cannot know before its next contact.
            var age = local(node) - Int64(oldest.hlc.physical)
            if let restored = hubRestoredAt { age = min(age, now - restored) }
            if age > thresholds.pendingMs {
                failures.append(
                    "\(Fixtures.vietnamText(now)): status of \(node.origin) said OK while seq \(oldest.seq) had waited \(age / 60_000) min unstored at the hub (threshold \(thresholds.pendingMs / 60_000) min)"
                )
            }
        }
    }

    func checkFinalInvariants() throws {
        _ = try ProjectorService.project(SQLiteHubStore(hubDatabase), limit: 1_000_000)
        let hubEvents = try hubDatabase.eventIdentities()
        var hubHash: [String: String] = [:]
        for event in hubEvents { hubHash[DossierFold.id(origin: event.origin, seq: event.seq)] = event.hash }
        let hubStates = try hubDatabase.stateHashes()

        // Nothing the hub acknowledged is lost.
        for key in acknowledgedOrder where hubHash[key] != acknowledged[key] {
            failures.append("the hub acknowledged \(key) (\(acknowledged[key]?.prefix(12) ?? "")) but holds \(hubHash[key]?.prefix(12) ?? "nothing")")
        }
        // A hub restored from a backup took back every event of its own a node held: as itself,
        // or written again naming it in `replaces`; and it finished recovering.
        let hubReplaced = Set(try hubDatabase.replacedHashes())
        for key in hubHeldOrder {
            guard let hash = hubHeldAtRestore[key], hubHash[key] != hash, !hubReplaced.contains(hash) else { continue }
            failures.append("\(key) (\(hash.prefix(12))), held by a node when the hub was restored, is lost at the hub")
        }
        if let recovery = try hubDatabase.hubRecovery(), recovery.isOpen {
            failures.append("the hub is still recovering from its restore (waiting for: \(recovery.waitingFor.joined(separator: ", ")))")
        }
        // A suspected clone was settled by the operator, not left holding a commune's pushes.
        for suspicion in try hubDatabase.cloneSuspicions(openOnly: true) {
            failures.append("the hub still holds \(suspicion.origin)'s pushes as a suspected clone (since seq \(suspicion.divergedAt))")
        }
        // Nothing stored twice.
        if try hubDatabase.duplicateFeedEntries() > 0 { failures.append("a node's feed at the hub names one event twice") }
        var replaced: [String: Int] = [:]
        for old in try hubDatabase.replacedHashes() { replaced[old, default: 0] += 1 }
        for (old, times) in replaced.sorted(by: { $0.key < $1.key }) where times > 1 {
            failures.append("the forked event \(old.prefix(12)) was re-appended \(times) times")
        }
        let hubHashes = Set(hubHash.values)
        let hubLinks = try hubDatabase.replacementLinks()
        // Every chain verifies.
        let hubVerification = try hubDatabase.verify()
        if let problem = hubVerification.firstProblem { failures.append("the hub's log does not verify: \(problem)") }

        // A machine switched off after a clone was settled is evidence, not a replica.
        for node in nodes where !node.retired {
            guard let database = node.database else {
                failures.append("\(node.origin) is not running after healing")
                continue
            }
            let verification = try database.verify()
            if let problem = verification.firstProblem { failures.append("\(node.origin)'s log does not verify: \(problem)") }
            // What the clerk was told was saved is still here, or at the hub, or re-appended: a heal
            // moved it to `forkedEvent` and re-appended it naming it in `replaces`. A later heal may
            // fork the re-appended event in turn (a clone's machine heals each time its branch
            // diverges again) and re-append that one: follow the links, each step an event this
            // node kept in `forkedEvent`, to an event the node or the hub holds.
            let local = Set(try database.eventIdentities().map(\.hash))
            let forked = Set(try database.forkedEventHashes())
            var replacement: [String: String] = [:]
            for link in try database.replacementLinks() + hubLinks where replacement[link.old] == nil { replacement[link.old] = link.new }
            for saved in node.saved {
                var hash = saved.hash
                var followed: Set<String> = []
                while !local.contains(hash), !hubHashes.contains(hash), forked.contains(hash), followed.insert(hash).inserted,
                    let next = replacement[hash]
                {
                    hash = next
                }
                if local.contains(hash) || hubHashes.contains(hash) { continue }
                failures.append("\(node.origin) seq \(saved.seq) (\(saved.hash.prefix(12))), saved by a clerk, is lost")
            }
            // Convergence: the node holds what the hub says it sees, in the same state.
            let audience = try hubDatabase.audience(node: node.origin)
            let nodeHashes = try database.stateHashes()
            for code in audience {
                guard let mine = nodeHashes[code] else {
                    failures.append("\(node.origin) lacks dossier \(code), which it sees at the hub")
                    continue
                }
                if mine != hubStates[code] {
                    failures.append("\(node.origin) and the hub disagree on \(code): \(mine.prefix(12)) vs \(hubStates[code]?.prefix(12) ?? "none")")
                }
            }
        }

        // The fold honours causality, at the hub (every replica folds the same events the same way),
        // and after draining nothing waits for a predecessor.
        for code in hubStates.keys.sorted() {
            guard let state = try hubDatabase.dossier(code) else { continue }
            if !state.waiting.isEmpty { failures.append("\(code): events wait at the hub for predecessors after draining: \(state.waiting)") }
            let events = try hubDatabase.events(ofDossier: code)
            var byID: [String: Event] = [:]
            for event in events { byID[DossierFold.id(event)] = event }
            // Each event's origin's previous seq in this dossier (seqs of one origin skip the
            // events it wrote on other dossiers).
            var earlierSeq: [String: Int] = [:]
            var lastSeq: [String: Int] = [:]
            for event in events.sorted(by: { ($0.origin, $0.seq) < ($1.origin, $1.seq) }) {
                if let last = lastSeq[event.origin] { earlierSeq[DossierFold.id(event)] = last }
                lastSeq[event.origin] = event.seq
            }
            var placed: [String: Int] = [:]
            for event in state.history.map(\.event) where placed[event] == nil { placed[event] = placed.count }
            for step in state.history {
                guard let event = byID[step.event], let position = placed[step.event] else { continue }
                for (origin, seq) in event.seen where !(origin == event.origin && seq >= event.seq) {
                    // An event that saw this one was written after it: the name meant an earlier
                    // event at that seq (a restored hub wrote it again at a new seq and went on past it).
                    if let named = byID[DossierFold.id(origin: origin, seq: seq)], (named.seen[event.origin] ?? 0) >= event.seq { continue }
                    if let before = placed[DossierFold.id(origin: origin, seq: seq)], before > position {
                        failures.append("\(code): \(step.event) was folded before \(origin)-\(seq), which its writer had seen")
                    }
                }
                if let earlier = earlierSeq[step.event], let before = placed[DossierFold.id(origin: event.origin, seq: earlier)], before > position {
                    failures.append("\(code): \(step.event) was folded before its origin's earlier \(event.origin)-\(earlier)")
                }
            }
        }
    }
}
