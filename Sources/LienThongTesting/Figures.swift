import Foundation

/// How the benchmark and the fault scenarios print their figures.
public enum Figures {
    /// `value` with two decimals.
    public static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration in milliseconds, as a `Double`.
    public var milliseconds: Double { seconds * 1000 }
}
