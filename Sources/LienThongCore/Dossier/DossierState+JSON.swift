import Foundation

extension DossierState {
    /// The folded dossier as canonical-ready JSON, conflicts included: what ``stateHash`` covers
    /// and what `dossier show --json` prints.
    public var json: JSONValue {
        func optional(_ value: Int64?) -> JSONValue { value.map { .integer(Int($0)) } ?? .null }
        func ids(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
        var contactJSON: [String: JSONValue] = [:]
        for (field, value) in contact {
            contactJSON[field] = ["value": .string(value.value), "setBy": .string(value.setBy), "hlc": .string(value.hlc.hex)]
        }
        return [
            "code": .string(code),
            "receivingOffice": receivingOffice.map(JSONValue.string) ?? .null,
            "receivingAgency": .string(receivingAgency),
            "officeName": .string(officeName),
            "owner": owner.map(JSONValue.string) ?? .null,
            "forwardedFrom": ids(forwardedFrom),
            "status": status.map { .string($0.rawValue) } ?? .null,
            "procedure": [
                "code": .string(procedureCode), "name": .string(procedureName), "catalogueVersion": .string(catalogueVersion),
                "field": ["code": .string(fieldCode), "name": .string(fieldName)], "decidingLevel": .string(decidingLevel),
                "duration": duration.json, "supplement": .string(supplementPolicy.rawValue),
                "steps": .array(steps.map { ["id": .string($0.id), "name": .string($0.name), "hours": .integer($0.hours)] }),
            ],
            "calendarVersion": .string(calendarVersion),
            "channel": .string(channel),
            "applicant": ["name": .string(applicant.name), "idNumber": .string(applicant.idNumber), "address": .string(applicant.address)],
            "contact": .object(contactJSON),
            "contactOverwrites": .array(
                contactOverwrites.map {
                    [
                        "field": .string($0.field), "kept": .string($0.kept), "keptValue": .string($0.keptValue),
                        "overwritten": .string($0.overwritten), "overwrittenValue": .string($0.overwrittenValue),
                    ]
                }),
            "documents": .array(documents.map(JSONValue.string)),
            "receivedAt": optional(receivedAt),
            "receivedBy": .string(receivedBy),
            "appointment": optional(appointment),
            "pausedRemaining": pausedRemaining.map(JSONValue.integer) ?? .null,
            "supplementReason": supplementReason.map(JSONValue.string) ?? .null,
            "extensions": .array(extensions.map(Self.noteJSON)),
            "decision": decision.map {
                [
                    "event": .string($0.event), "approved": .bool($0.approved), "reason": .string($0.reason), "at": .integer(Int($0.at)),
                    "office": .string($0.office),
                ]
            } ?? .null,
            "finishedAt": optional(finishedAt),
            "handovers": .array(
                handovers.map {
                    [
                        "event": .string($0.event), "office": .string($0.office), "from": .string($0.fromActor), "to": .string($0.toActor),
                        "step": .string($0.step), "stepName": .string($0.stepName), "allottedHours": .integer($0.allottedHours),
                        "at": .integer(Int($0.at)), "due": optional($0.due), "completedAt": optional($0.completedAt),
                        "completedBy": $0.completedBy.map(JSONValue.string) ?? .null,
                        "outcome": $0.outcome.map { .string($0.rawValue) } ?? .null,
                    ]
                }),
            "requests": .array(
                requests.map {
                    ["event": .string($0.event), "type": .string($0.type), "at": .integer(Int($0.at)), "actor": .string($0.actor), "text": .string($0.text)]
                }),
            "notes": .array(notes.map(Self.noteJSON)),
            "conflicts": .array(conflicts.map(\.json)),
            "ignoredResolutions": .array(
                ignoredResolutions.map {
                    ["event": .string($0.event), "conflict": .string($0.conflict), "obsolete": .bool($0.obsolete), "reason": .string($0.reason)]
                }),
            "needsUpgrade": ids(needsUpgrade),
            "waiting": ids(waiting),
            "standingEvent": .string(standingEvent),
            "history": .array(
                history.map {
                    [
                        "event": .string($0.event), "type": .string($0.type), "origin": .string($0.origin), "actor": .string($0.actor),
                        "at": .integer(Int($0.at)), "result": .string($0.result.rawValue),
                    ]
                }),
        ]
    }

    static func noteJSON(_ note: Note) -> JSONValue {
        ["event": .string(note.event), "type": .string(note.type), "at": .integer(Int(note.at)), "actor": .string(note.actor), "text": .string(note.text)]
    }

    /// SHA-256 of the canonical folded dossier, conflicts included (DESIGN §3).
    public var stateHash: String {
        if PlantedBug.foldStampsLocalDate.isActive, case .object(var object) = json {
            object["foldedOn"] = .string(LocalDate(vietnamTimeOf: Int64(Date().timeIntervalSince1970 * 1000)).iso)
            return Digest.sha256Hex(CanonicalJSON.encode(.object(object)))
        }
        return Digest.sha256Hex(CanonicalJSON.encode(json))
    }

    /// A replica's hash over the dossiers being compared: SHA-256 of their sorted
    /// `code stateHash` lines.
    public static func replicaHash(_ states: some Sequence<DossierState>) -> String {
        let lines = states.map { "\($0.code) \($0.stateHash)\n" }.sorted()
        return Digest.sha256Hex(Array(lines.joined().utf8))
    }
}

extension Conflict {
    public var json: JSONValue {
        [
            "id": .string(id), "type": .string(type), "origin": .string(origin), "actor": .string(actor), "at": .integer(Int(at)),
            "owner": .string(owner), "status": .string(status), "standingEvent": .string(standingEvent),
            "reason": ["vi": .string(reasonVietnamese), "en": .string(reasonEnglish)], "resolution": .string(resolution.rawValue),
            "resolvedBy": resolvedBy.map(JSONValue.string) ?? .null, "note": resolutionNote.map(JSONValue.string) ?? .null,
        ]
    }
}
