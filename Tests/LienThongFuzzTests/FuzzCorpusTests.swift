import Foundation
import LienThongCore
import LienThongFuzz
import LienThongWire
import XCTest

/// Replays every committed fuzz input (issue 8, item 9): the corpus libFuzzer grew for each target
/// under Tests/Fixtures/fuzz/TARGET, and every input that once crashed or broke a property, kept
/// under Tests/Fixtures/fuzz/crashers/TARGET after its fix. Each input runs the target's property
/// checks (``FuzzTarget/run(_:)``) in the ordinary debug build, so CI replays them without libFuzzer.
final class FuzzCorpusTests: XCTestCase {
    static let fuzzFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    static func inputs(_ folder: URL) throws -> [URL] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    func replay(_ target: FuzzTarget, file: StaticString = #filePath, line: UInt = #line) throws {
        let corpus = try Self.inputs(Self.fuzzFolder.appendingPathComponent(target.rawValue))
        let crashers = try Self.inputs(Self.fuzzFolder.appendingPathComponent("crashers/\(target.rawValue)"))
        var reached = 0
        // The seeds too: the merge keeps only inputs that add coverage, and may drop some of them.
        let inputs =
            try (corpus + crashers).map { ($0.lastPathComponent, try [UInt8](Data(contentsOf: $0))) }
            + FuzzSeeds.seeds(for: target).enumerated().map { ("seed-\($0.offset + 1)", $0.element) }
        for (name, bytes) in inputs {
            do {
                if try target.run(bytes) { reached += 1 }
            } catch {
                XCTFail("\(target.rawValue) input \(name): \(error)", file: file, line: line)
            }
        }
        // A corpus that went missing, or a reader that began refusing everything, must not pass as
        // "no findings": each committed corpus holds dozens to hundreds of inputs that reach the
        // checks. Fewer for gzip: a body inflates only with a matching CRC-32, which mutation
        // seldom makes.
        let floor = target == .gzipInflation ? 3 : 20
        XCTAssertGreaterThanOrEqual(corpus.count, 20, "the \(target.rawValue) corpus is missing; run Scripts/fuzz.sh", file: file, line: line)
        XCTAssertGreaterThanOrEqual(reached, floor, "only \(reached) \(target.rawValue) inputs reached the property checks", file: file, line: line)
    }

    func testEventDecoderCorpus() throws { try replay(.eventDecoder) }
    func testCanonicalEncoderCorpus() throws { try replay(.canonicalEncoder) }
    func testChainVerifierCorpus() throws { try replay(.chainVerifier) }
    func testPushRequestCorpus() throws { try replay(.pushRequest) }
    func testGzipInflationCorpus() throws { try replay(.gzipInflation) }

    /// The seeds are real inputs: each reaches the code path its target is about (a decoded event,
    /// a verified chain, a batch the hub would append), so the corpus does not start from noise.
    func testTheSeedsReachTheCheckedPaths() throws {
        for target in FuzzTarget.allCases {
            let seeds = FuzzSeeds.seeds(for: target)
            // Every seed but the gzip target's three refused ones: one byte over its limit, a bomb,
            // and a body that is not gzip.
            let expected = target == .gzipInflation ? seeds.count - 3 : seeds.count
            let reached = try seeds.filter { try target.run($0) }.count
            XCTAssertEqual(reached, expected, target.rawValue)
        }
        let chain = FuzzSeeds.chain()
        XCTAssertEqual(chain.map(\.seq), [1, 2, 3, 4, 5])
        XCTAssertTrue(chain.allSatisfy(\.hashIsValid))
        let batch = FuzzSeeds.push(chain).batches[0]
        let checkpoint = Checkpoint(origin: batch.origin, epoch: batch.epoch, seq: 5, hash: chain[4].hash, signature: batch.signature)
        XCTAssertTrue(FuzzTarget.verifyingKey.verifies(checkpoint))
        guard
            case .append(let appended, _, _) = BatchCheck.decide(
                batch, head: .empty, headHLC: nil, held: { _ in nil }, key: FuzzTarget.verifyingKey, fenced: false)
        else { return XCTFail("the hub would not append the push seed") }
        XCTAssertEqual(appended.map(\.hash), chain.map(\.hash))
        // The control run (Scripts/fuzz.sh) starts from the receipt seed alone: it must hold no
        // control character, so that libFuzzer has to make one.
        XCTAssertFalse(FuzzSeeds.seeds(for: .canonicalEncoder)[0].contains { $0 < 0x20 })
    }

    /// The chain seed holds: a verifier accepts every row, and a row with one byte changed is
    /// refused (the target would report it as a finding if it were accepted).
    func testTheVerifierRefusesAChangedRowOfTheChainSeed() throws {
        let chain = FuzzSeeds.chain()
        var rows = chain.map(\.storedBytes)
        var verifier = ChainVerifier()
        for (index, row) in rows.enumerated() {
            XCTAssertNil(verifier.check(origin: FuzzSeeds.origin, seq: index + 1, hash: chain[index].hash, bytes: row))
        }
        let at = try XCTUnwrap(rows[1].firstIndex(of: UInt8(ascii: "G")))
        rows[1][at] = UInt8(ascii: "H")
        var again = ChainVerifier()
        let problems = rows.enumerated().compactMap { index, row in
            again.check(origin: FuzzSeeds.origin, seq: index + 1, hash: chain[index].hash, bytes: row)
        }
        XCTAssertEqual(problems.map(\.seq), [2])
        XCTAssertNoThrow(try FuzzTarget.chainVerifier.run(rows.joined(separator: [0x0A]).map { $0 }))
    }
}
