/// The hub's HTTP paths and query parameters (DESIGN §5), named once for both sides.
public enum SyncPaths {
    public static let push = "/v1/sync/push"
    public static let pull = "/v1/sync/pull"
    public static let own = "/v1/sync/own"
    public static let caps = "/v1/sync/caps"
    public static let enroll = "/v1/enroll"
}
