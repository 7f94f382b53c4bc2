import LienThongCore
import Testing

/// The probe Scripts/sanitizers.sh runs with a planted bug to prove each sanitizer fires; without
/// one it must do its work correctly (as in every ordinary run).
@Suite struct SanitizerProbeTests {
    @Test func theProbeSumsItsBufferAndCountsBothThreadsWhenNoBugIsPlanted() {
        #expect(SanitizerProbe.run() == 36 + 20_000)
    }
}
