import Foundation
import LienThongCore

/// Paths to the committed test fixtures.
public enum Fixtures {
    /// The package's root directory, found from this source file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures/vectors.json`.
    public static var vectorsURL: URL { packageRoot.appendingPathComponent("Tests/Fixtures/vectors.json") }

    /// `Config/staff.example.json`.
    public static var staffExampleURL: URL { packageRoot.appendingPathComponent("Config/staff.example.json") }

    /// A fixed key for tests (RFC 8032 section 7.1, test 1).
    public static func testKey() -> SigningKey {
        // A constant valid seed: tests only, a failure is a broken fixture.
        try! SigningKey(seedHex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    }

    /// A draft note event on `dossier`.
    public static func note(_ text: String, dossier: String = "23059-261122-0001", actor: String = "cb-tiepnhan-01") -> EventDraft {
        EventDraft(dossier: dossier, type: "dossier.note", actor: actor, body: ["text": .string(text)])
    }
}
