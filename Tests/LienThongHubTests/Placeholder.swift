import Testing
@testable import LienThongHub
@Test func placeholder() { #expect(Bool(true)) }
