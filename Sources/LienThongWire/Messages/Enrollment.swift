import LienThongCore

/// `POST /v1/enroll`: a node presents the one-time token the hub operator gave it
/// (`lienthong hub enroll NODE`) and its public key.
public struct EnrollRequest: Sendable, Hashable {
    public var node: String
    public var token: String
    public var epoch: String
    /// The node's Ed25519 public key, hex.
    public var publicKey: String

    public init(node: String, token: String, epoch: String, publicKey: String) {
        self.node = node
        self.token = token
        self.epoch = epoch
        self.publicKey = publicKey
    }

    public var json: JSONValue {
        ["node": .string(node), "token": .string(token), "epoch": .string(epoch), "publicKey": .string(publicKey)]
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(
            node: try fields.node("node"), token: try fields.string("token"), epoch: try fields.string("epoch"),
            publicKey: try fields.string("publicKey"))
    }
}

/// The answer to an enrolment: the node's long-lived credential (a bearer secret it keeps in a
/// 0600 file) and the hub's identity and public key, which the node pins.
public struct EnrollResponse: Sendable, Hashable {
    public var node: String
    public var credential: String
    public var hub: String
    public var hubEpoch: String
    public var hubPublicKey: String
    public var hubAgency: String
    public var caps: HubCaps

    public init(node: String, credential: String, hub: String, hubEpoch: String, hubPublicKey: String, hubAgency: String, caps: HubCaps) {
        self.node = node
        self.credential = credential
        self.hub = hub
        self.hubEpoch = hubEpoch
        self.hubPublicKey = hubPublicKey
        self.hubAgency = hubAgency
        self.caps = caps
    }

    public var json: JSONValue {
        [
            "node": .string(node), "credential": .string(credential), "hub": .string(hub), "hubEpoch": .string(hubEpoch),
            "hubPublicKey": .string(hubPublicKey), "hubAgency": .string(hubAgency), "caps": caps.json,
        ]
    }

    public var bytes: [UInt8] { json.messageBytes }

    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let fields = try Fields(bytes: bytes)
        self.init(
            node: try fields.string("node"), credential: try fields.string("credential"), hub: try fields.string("hub"),
            hubEpoch: try fields.string("hubEpoch"), hubPublicKey: try fields.string("hubPublicKey"),
            hubAgency: try fields.string("hubAgency"), caps: try HubCaps(json: try fields.value("caps")))
    }
}
