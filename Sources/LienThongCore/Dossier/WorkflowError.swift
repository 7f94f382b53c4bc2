/// A dossier command that cannot be carried out: bad input (naming the field and what was
/// expected) or a transition the dossier's state or the authority table forbids. Nothing is
/// written when one is thrown.
public enum WorkflowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An input is wrong: `field` is the option or field name, `expected` what it must be.
    case invalidInput(field: String, expected: String, found: String)
    /// The dossier's state or the authority table forbids the action now.
    case forbidden(DossierRules.Rejection)
    /// No dossier with this code is known here.
    case unknownDossier(String)
    /// The day's dossier counter is exhausted.
    case counterExhausted(agency: String, date: String)

    public var description: String {
        switch self {
        case .invalidInput(let field, let expected, let found):
            "\(field): expected \(expected), found \(found.isEmpty ? "nothing" : found)"
        case .forbidden(let rejection):
            "not allowed: \(rejection.english) — \(rejection.vietnamese)"
        case .unknownDossier(let code):
            "unknown dossier code \(code); list dossiers with `lienthong dossier list`"
        case .counterExhausted(let agency, let date):
            "agency \(agency) has used every dossier code for \(date)"
        }
    }
}
