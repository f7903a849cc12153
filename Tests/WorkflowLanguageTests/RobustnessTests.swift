import Foundation
import Testing
import WorkflowLanguage

@Suite("Malformed files never crash the parser")
struct RobustnessTests {
    static let corpus = Bundle.module.url(forResource: "Malformed", withExtension: nil)!

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    }

    @Test func theCorpusHasAtLeastThirtyFiles() {
        #expect(Self.files.count >= 30)
    }

    @Test(arguments: files)
    func everyMalformedFileIsAnErrorWithALocation(file: String) throws {
        let data = try Data(contentsOf: Self.corpus.appendingPathComponent(file))
        let check = WorkflowParser.check(String(decoding: data, as: UTF8.self))
        #expect(check.hasErrors, "\(file) must not be valid")
        #expect(check.diagnostics.allSatisfy { $0.location.line >= 1 && $0.location.column >= 1 })
    }

    @Test func hugeFilesAreRefusedBeforeParsing() {
        let huge = "name: x\ndescription: " + String(repeating: "a", count: WorkflowParser.maximumBytes) + "\n"
        let check = WorkflowParser.check(huge)
        #expect(check.diagnostics.map(\.message).first?.contains("may be at most") == true)
    }

    @Test func deepNestingIsRefusedBeforeParsing() {
        let deep = "name: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(WorkflowParser.check(deep).diagnostics.first?.message.contains("nesting deeper") == true)
        // Far deeper, libyaml's own nesting limit stops its scanner before the first event.
        let deeper = "name: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(WorkflowParser.check(deeper).diagnostics.first?.message.contains("Maximum nesting level") == true)
    }

    /// Anchors alone on their lines, aliases alone on theirs, the last one as a mapping key: 684
    /// bytes that took the text scan's guard 51 s to let through (debug build; 6.4 s with one
    /// level fewer). Refused at the first anchor now, in milliseconds.
    @Test func billionLaughsWithAnchorsOnTheirOwnLinesIsRefusedAtTheFirstAnchor() throws {
        let text = try String(
            contentsOf: Self.corpus.appendingPathComponent("billion-laughs-own-lines.yaml"), encoding: .utf8)
        let first = WorkflowParser.check(text).diagnostics.first
        #expect(first?.message.hasPrefix("anchors and aliases (&name, *name) are not allowed") == true)
        #expect(first?.location == SourceLocation(line: 5, column: 3))
    }

    @Test func billionLaughsIsRefused() throws {
        let text = try String(contentsOf: Self.corpus.appendingPathComponent("billion-laughs.yaml"), encoding: .utf8)
        let check = WorkflowParser.check(text)
        #expect(check.diagnostics.contains { $0.message.contains("anchors and aliases") })
    }

    @Test func randomMutationsOfAValidFileNeverCrash() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let source = Array(
            try String(contentsOf: root.appendingPathComponent("Workflows/exec-post.yaml"), encoding: .utf8))
        var generator = SplitMix64(seed: 42)
        let alphabet = Array(":-[]{}&*!|>'\"#\n \tab1")
        for _ in 0..<300 {
            var mutated = source
            for _ in 0..<Int(generator.next() % 5 + 1) {
                let position = Int(generator.next() % UInt64(mutated.count))
                mutated[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            }
            _ = WorkflowParser.check(String(mutated))
        }
    }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
