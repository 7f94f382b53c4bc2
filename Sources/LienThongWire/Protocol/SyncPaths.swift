/// The hub's HTTP paths and query parameters (DESIGN §5), named once for both sides.
public enum SyncPaths {
    public static let push = "/v1/sync/push"
    public static let pull = "/v1/sync/pull"
    public static let own = "/v1/sync/own"
    /// A node returns the hub's own events to a hub restored from a backup (DESIGN §5).
    public static let returnEvents = "/v1/sync/return"
    public static let caps = "/v1/sync/caps"
    /// Liveness: the process answers (200).
    public static let live = "/health/live"
    /// Readiness: the hub's database answers a read (200), or it cannot serve (503).
    public static let ready = "/health/ready"
    public static let enroll = "/v1/enroll"
    /// A citizen's lookup of a dossier by its code and the last four digits of the ID number.
    public static let lookup = "/v1/lookup"
    /// Prometheus metrics (text exposition format).
    public static let metrics = "/metrics"
}

/// Headers both sides add to every sync request and answer, so each can tell how the other is
/// doing without a request of its own.
public enum SyncHeaders {
    /// The sender's wall clock, Unix milliseconds: each side measures the other's clock skew.
    public static let clock = "LienThong-Clock"
    /// The node's own head seq: the hub knows how far behind it is (`hub nodes`).
    public static let head = "LienThong-Head"
}
