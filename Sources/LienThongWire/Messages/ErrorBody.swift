import LienThongCore

/// The body of every non-200 answer: a stable machine code and a message for people.
public struct ErrorBody: Sendable, Hashable, CustomStringConvertible {
    /// `bad-request`, `unauthorized`, `forbidden`, `not-found`, `hub-behind`, `too-large`, `internal`.
    public var code: String
    public var message: String
    /// For `hub-behind`: the feed's end and the node's head as the hub holds them.
    public var feedEnd: Int?
    public var head: ChainHead?

    public init(code: String, message: String, feedEnd: Int? = nil, head: ChainHead? = nil) {
        self.code = code
        self.message = message
        self.feedEnd = feedEnd
        self.head = head
    }

    public var description: String { "\(code): \(message)" }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["error": .string(code), "message": .string(message)]
        if let feedEnd { members["feedEnd"] = .integer(feedEnd) }
        if let head { members["head"] = head.json }
        return .object(members)
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(
            code: try fields.string("error"), message: try fields.string("message"),
            feedEnd: fields.members["feedEnd"]?.integerValue, head: try fields.optionalObject("head").map { f throws(WireError) in try ChainHead(fields: f) })
    }
}
