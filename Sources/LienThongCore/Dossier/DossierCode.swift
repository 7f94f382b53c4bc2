/// A dossier code (mã hồ sơ): `<agency code>-<YYMMDD>-<NNNN>`, the date in Vietnam time and the
/// counter per agency per day, allocated by the receiving office alone so that it works offline
/// (DESIGN §4). The agency part is opaque; counters have 4 to 7 digits.
public enum DossierCode {
    /// The largest counter a code can carry (7 digits).
    public static let maxCounter = 9_999_999

    /// The code for the `counter`-th dossier of `agency` on `date`, or nil past ``maxCounter``.
    public static func make(agency: String, date: LocalDate, counter: Int) -> String? {
        guard (1...maxCounter).contains(counter) else { return nil }
        return "\(agency)-\(date.compact)-\(LocalDate.pad(counter, 4))"
    }

    /// The parts of a well-formed code, or nil.
    public static func parse(_ code: String) -> (agency: String, date: String, counter: Int)? {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        let counterText = parts[parts.count - 1]
        let dateText = parts[parts.count - 2]
        let agency = parts[0..<(parts.count - 2)].joined(separator: "-")
        guard !agency.isEmpty, (4...7).contains(counterText.count), counterText.allSatisfy({ $0.isASCII && $0.isNumber }),
            dateText.count == 6, dateText.allSatisfy({ $0.isASCII && $0.isNumber }), let counter = Int(counterText)
        else { return nil }
        return (agency, String(dateText), counter)
    }
}
