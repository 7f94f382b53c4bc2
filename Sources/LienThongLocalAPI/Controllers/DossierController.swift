import Foundation
import HTTPTypes
import Hummingbird
import LienThongCore
import LienThongHTTP
import LienThongStore
import NIOCore

/// The office's dossiers over HTTP: list, show and print the receipt; receive; and one route per
/// action of the workflow's catalogue. Every write needs an `Idempotency-Key` and is done once.
struct DossierController {
    let node: LocalAPINode
    let now: @Sendable () -> Int64

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get(RouterPath(LocalAPIPaths.dossiers)) { request, _ -> Response in
            let query = request.uri.queryParameters
            var filter = DossierFilter(limit: try LocalAPI.integer(query.get("limit"), name: "limit", default: 200, range: 1...10_000))
            if let status = query.get("status") {
                guard let parsed = DossierStatus(argument: status) else {
                    throw LocalAPIError.badRequest("status: expected a code 1–10, a name such as processing, or forwarded; found \"\(status.prefix(40))\"")
                }
                filter.status = parsed
            }
            let at = now()
            switch query.get("overdue") {
            case nil, "false": break
            case "true": filter.overdueAt = at
            case let other?: throw LocalAPIError.badRequest("overdue: expected true or false; found \"\(other.prefix(40))\"")
            }
            if let days = query.get("dueWithin") {
                let days = try LocalAPI.integer(days, name: "dueWithin", default: 0, range: 0...365)
                filter.dueBetween = at...node.workflow.workingTime.endOfWorkingDays(days, after: LocalDate(vietnamTimeOf: at))
            }
            let chosen = filter
            let rows = try await offloaded { try node.database.dossiers(chosen) }
            return LocalAPI.json(200, ["dossiers": .array(rows.map { $0.json(now: at) })])
        }
        router.get(RouterPath("/v1/dossiers/:code")) { _, context -> Response in
            let state = try await LocalAPI.dossier(context, node: node)
            return LocalAPI.json(200, ["dossier": state.json])
        }
        router.get(RouterPath("/v1/dossiers/:code/receipt")) { _, context -> Response in
            let state = try await LocalAPI.dossier(context, node: node)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Receipt.text(state, staffNames: node.staffNames))))
        }
        router.post(RouterPath(LocalAPIPaths.dossiers)) { request, _ -> Response in
            let (idempotency, body) = try await LocalAPI.writeRequest(request)
            let fields = try Body(body)
            try fields.refuseOthers(than: LocalAPI.intakeMembers)
            guard let channel = Channel(rawValue: try fields.optionalString("channel") ?? "counter") else {
                throw LocalAPIError.badRequest("channel: expected counter, online or post")
            }
            let intake = Workflow.Intake(
                procedureCode: try fields.string("procedure"), applicantName: try fields.optionalString("applicant") ?? "",
                idNumber: try fields.optionalString("idNumber") ?? "", phone: try fields.optionalString("phone") ?? "",
                email: try fields.optionalString("email"), address: try fields.optionalString("address") ?? "",
                documents: try fields.strings("documents"), channel: channel)
            let actor = try fields.string("actor")
            let answer = try await LocalAPI.acknowledgingFailedWritesIfPlanted {
                try await LocalAPI.committedOrEarly { early in
                    try node.database.receive(
                        intake, actor: actor, workflow: node.workflow, key: node.key, wallMilliseconds: { UInt64(now()) }, idempotency: idempotency
                    ) { write in
                        early(
                            (
                                201,
                                CanonicalJSON.encode(["dossier": write.state.json, "receipt": .string(Receipt.text(write.state, staffNames: node.staffNames))])
                            ))
                    }
                }
            }
            return LocalAPI.respond(answer)
        }
        // One route per action of the workflow's catalogue, as the OpenAPI document lists them
        // (an unknown action is an unknown path: 404).
        for action in WorkflowAction.all {
            router.post(RouterPath("/v1/dossiers/:code/\(action.name)")) { request, context -> Response in
                let code = try context.parameters.require("code")
                let (idempotency, body) = try await LocalAPI.writeRequest(request)
                let fields = try Body(body)
                try fields.refuseOthers(than: action.members)
                let command: Workflow.Command
                do {
                    command = try action.command(fields)
                } catch let error as ActionInputError {
                    throw LocalAPIError.badRequest(error.description)
                }
                let actor = try fields.string("actor")
                let answer = try await offloaded {
                    try node.database.perform(
                        command, on: code, actor: actor, workflow: node.workflow, key: node.key, wallMilliseconds: { UInt64(now()) },
                        idempotency: idempotency
                    ) { write in
                        let event = write.events.last
                        let summary: JSONValue = [
                            "type": .string(event?.type ?? ""), "origin": .string(event?.origin ?? ""), "seq": .integer(event?.seq ?? 0),
                        ]
                        return (200, CanonicalJSON.encode(["event": summary, "dossier": write.state.json]))
                    }
                }
                return LocalAPI.respond(answer)
            }
        }
    }
}
