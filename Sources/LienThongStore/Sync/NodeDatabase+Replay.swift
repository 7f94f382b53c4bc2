import Foundation
import GRDB
import LienThongCore

/// A write sent with an `Idempotency-Key` (the local API): the key and a fingerprint of the request
/// (method, path and body), so a key reused for another request is refused, not replayed.
public struct IdempotencyKey: Sendable, Hashable {
    public var key: String
    public var fingerprint: String

    public init(key: String, fingerprint: String) {
        self.key = key
        self.fingerprint = fingerprint
    }
}

/// The answer to a write, as first given: replayed with the same status and bytes on a retry.
public struct WriteAnswer: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]
    /// Whether this is a replay of an earlier answer (nothing was written this time).
    public var replayed: Bool

    public init(status: Int, body: [UInt8], replayed: Bool = false) {
        self.status = status
        self.body = body
        self.replayed = replayed
    }
}

extension NodeDatabase {
    /// ``receive(_:actor:workflow:key:wallMilliseconds:)`` exactly once per idempotency key: the
    /// dossier, its event and the answer are saved in one transaction, so a front end retrying
    /// after a timeout, a crash or a dropped answer gets the first answer back and never a second
    /// dossier. A refused write saves nothing, so its retry is judged again.
    public func receive(
        _ intake: Workflow.Intake, actor: String, workflow: Workflow, key: SigningKey, wallMilliseconds: () -> UInt64,
        idempotency: IdempotencyKey, answer: (DossierWrite) -> (status: Int, body: [UInt8])
    ) throws(StoreError) -> WriteAnswer {
        try once(idempotency, now: Int64(wallMilliseconds())) { db in
            answer(try Self.receive(db, intake, actor: actor, workflow: workflow, key: key, wallMilliseconds: wallMilliseconds))
        }
    }

    /// ``perform(_:on:actor:workflow:key:wallMilliseconds:)`` exactly once per idempotency key.
    public func perform(
        _ command: Workflow.Command, on code: String, actor: String, workflow: Workflow, key: SigningKey, wallMilliseconds: () -> UInt64,
        idempotency: IdempotencyKey, answer: (DossierWrite) -> (status: Int, body: [UInt8])
    ) throws(StoreError) -> WriteAnswer {
        try once(idempotency, now: Int64(wallMilliseconds())) { db in
            answer(try Self.perform(db, command, on: code, actor: actor, workflow: workflow, key: key, wallMilliseconds: wallMilliseconds))
        }
    }

    func once(_ idempotency: IdempotencyKey, now: Int64, _ write: (Database) throws -> (status: Int, body: [UInt8])) throws(StoreError) -> WriteAnswer {
        try immediateTransaction("write once per idempotency key") { db in
            if let row = try Row.fetchOne(db, sql: "SELECT request, status, body FROM apiReplay WHERE key = ?", arguments: [idempotency.key]) {
                guard (row["request"] as String) == idempotency.fingerprint else {
                    throw StoreError.idempotencyKeyReused(key: idempotency.key)
                }
                return WriteAnswer(status: row["status"], body: [UInt8](row["body"] as Data), replayed: true)
            }
            let (status, body) = try write(db)
            try db.execute(
                sql: "INSERT INTO apiReplay (key, request, status, body, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [idempotency.key, idempotency.fingerprint, status, Data(body), now])
            return WriteAnswer(status: status, body: body)
        }
    }
}
