/// The authority table of DESIGN §3: who may write which event, and in which status. One owner at
/// a time; ownership moves only by an event of the current owner. The fold uses these rules to
/// decide whether an event applies or becomes a conflict, and writers use the same rules to refuse
/// a command before anything is written.
public enum DossierRules {
    /// Why an event may not apply, in Vietnamese (for clerks) and English (for logs).
    public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
        public var vietnamese: String
        public var english: String
        public var description: String { english }
    }

    /// Types that need the current owner and move status or ownership.
    static let ownerTransitions: [String: Set<DossierStatus>] = [
        "dossier.handedOver": [.received, .processing],
        "dossier.supplementRequested": [.received, .processing],
        "dossier.supplementReceived": [.supplementRequested],
        "dossier.extended": [.received, .processing, .supplementRequested],
        "dossier.stopped": [.received, .processing, .supplementRequested],
        "dossier.refused": [.received],
        "dossier.resolved": [.received, .processing],
        "dossier.forwarded": [.received, .processing],
        "dossier.accepted": [.forwarded],
        "dossier.resultSent": [.resolved, .stopped],
        "dossier.returnedToSender": [.forwarded, .processing, .supplementRequested],
    ]

    /// Types only the receiving office may write while it owns the dossier.
    static let receivingOwnerTransitions: [String: Set<DossierStatus>] = [
        "dossier.returned": [.refusedAtReception, .stopped, .resolved],
        "dossier.withdrawn": [.received, .processing, .supplementRequested],
    ]

    /// Types the receiving office may write at any time: requests the owner acts on.
    static let receivingRequests: Set<String> = ["dossier.withdrawalRequested", "dossier.supplementDelivered", "dossier.recoded"]

    /// Types anyone who sees the dossier may write.
    static let open: Set<String> = ["dossier.contactUpdated", "dossier.note", "dossier.attachment"]

    /// Whether an event of `type` changes status or ownership when it applies.
    public static func changesStatus(_ type: String) -> Bool {
        type == "dossier.received" || ownerTransitions[type] != nil || receivingOwnerTransitions[type] != nil
    }

    /// The action an event type records, in Vietnamese.
    public static func vietnameseAction(_ type: String) -> String {
        switch type {
        case "dossier.received": "tiếp nhận hồ sơ"
        case "dossier.handedOver": "chuyển xử lý"
        case "dossier.forwarded": "chuyển liên thông"
        case "dossier.accepted": "nhận hồ sơ liên thông"
        case "dossier.supplementRequested": "yêu cầu bổ sung hồ sơ"
        case "dossier.supplementReceived": "nhận hồ sơ bổ sung"
        case "dossier.supplementDelivered": "ghi nhận giấy tờ bổ sung tại bộ phận một cửa"
        case "dossier.extended": "gia hạn, hẹn lại ngày trả kết quả"
        case "dossier.stopped": "dừng xử lý"
        case "dossier.refused": "từ chối tiếp nhận"
        case "dossier.resolved": "ra kết quả giải quyết"
        case "dossier.resultSent": "chuyển kết quả về nơi tiếp nhận"
        case "dossier.returnedToSender": "trả hồ sơ về nơi chuyển"
        case "dossier.returned": "trả kết quả cho công dân"
        case "dossier.withdrawn": "rút hồ sơ"
        case "dossier.withdrawalRequested": "ghi nhận yêu cầu rút hồ sơ"
        case "dossier.recoded": "cấp lại mã hồ sơ"
        case "dossier.intakeUpdated": "sửa thông tin tiếp nhận"
        case "dossier.contactUpdated": "sửa thông tin liên hệ"
        case "dossier.note": "ghi chú"
        case "dossier.attachment": "đính kèm tài liệu"
        case "conflict.resolved": "xử lý xung đột"
        default: type
        }
    }

    /// Why `origin` may not write an event of `type` on `state` now, or nil when it may.
    public static func check(type: String, origin: String, state: DossierState) -> Rejection? {
        guard let status = state.status, let owner = state.owner, let receiving = state.receivingOffice else {
            if type == "dossier.received" { return nil }
            return Rejection(
                vietnamese: "Hồ sơ chưa được tiếp nhận nên không thể \(vietnameseAction(type)).",
                english: "\(type) before the dossier was received")
        }
        let action = vietnameseAction(type)
        if type == "dossier.received" {
            return Rejection(
                vietnamese: "Mã hồ sơ \(state.code) đã được \(receiving) tiếp nhận trước đó.",
                english: "the dossier code \(state.code) was already received by \(receiving)")
        }
        if let allowed = ownerTransitions[type] {
            if origin != owner { return notOwner(origin, owner: owner, action: action, type: type) }
            if type == "dossier.resultSent" || type == "dossier.returnedToSender", owner == receiving {
                return Rejection(
                    vietnamese: "\(origin) là nơi tiếp nhận hồ sơ, không thể \(action).",
                    english: "\(origin) is the receiving office and cannot write \(type)")
            }
            if !allowed.contains(status) { return statusForbids(status, action: action, type: type) }
            return nil
        }
        if let allowed = receivingOwnerTransitions[type] {
            if origin != receiving { return notReceiving(origin, receiving: receiving, action: action, type: type) }
            if origin != owner { return notOwner(origin, owner: owner, action: action, type: type) }
            if !allowed.contains(status) { return statusForbids(status, action: action, type: type) }
            return nil
        }
        if receivingRequests.contains(type) {
            return origin == receiving ? nil : notReceiving(origin, receiving: receiving, action: action, type: type)
        }
        if type == "dossier.intakeUpdated" {
            return origin == owner ? nil : notOwner(origin, owner: owner, action: action, type: type)
        }
        if open.contains(type) { return nil }
        return Rejection(vietnamese: "Loại sự kiện \(type) không áp dụng cho hồ sơ.", english: "\(type) does not apply to a dossier")
    }

    static func notOwner(_ origin: String, owner: String, action: String, type: String) -> Rejection {
        Rejection(
            vietnamese: "\(origin) không phải đơn vị đang giữ hồ sơ (đơn vị đang giữ: \(owner)) nên không thể \(action).",
            english: "\(origin) does not own the dossier (the owner is \(owner)) and cannot write \(type)")
    }

    static func notReceiving(_ origin: String, receiving: String, action: String, type: String) -> Rejection {
        Rejection(
            vietnamese: "Chỉ nơi tiếp nhận hồ sơ (\(receiving)) mới được \(action).",
            english: "only the receiving office (\(receiving)) may write \(type), not \(origin)")
    }

    static func statusForbids(_ status: DossierStatus, action: String, type: String) -> Rejection {
        Rejection(
            vietnamese: "Hồ sơ đang ở trạng thái \"\(status.vietnamese)\", không thể \(action).",
            english: "status \(status.rawValue) (\(status.english)) does not allow \(type)")
    }
}
