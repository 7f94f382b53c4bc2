/// A query parameter that must be an integer in a range, read the same way by both servers: absent
/// gives the default; anything else names the parameter, the range and what was sent.
public struct QueryInteger: Sendable {
    /// Why a query integer was refused: the message both servers send with their 400.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let name: String
    public let range: ClosedRange<Int>
    public let defaultValue: Int

    public init(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) {
        self.name = name
        self.range = range
        self.defaultValue = defaultValue
    }

    /// The most any integer in the protocol may be: 2^53 − 1, as in events and the API documents.
    public static let largest = 9_007_199_254_740_991

    public func read(_ text: String?) throws(Refusal) -> Int {
        guard let text else { return defaultValue }
        let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
        guard let number = Int(text), range.contains(number) else {
            throw Refusal(description: "\(name): expected an integer from \(range.lowerBound) to \(range.upperBound); found \"\(shown)\"")
        }
        return number
    }
}
