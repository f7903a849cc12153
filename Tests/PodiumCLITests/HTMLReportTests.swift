import Foundation
import PodiumTestSupport
import Testing

@testable import podium

@Suite("HTML reports draw bars whose length means something")
struct HTMLReportTests {
    /// Every chart of a page shares one scale: +58% is drawn shorter than +100% even when each is
    /// the only bar of its chart (they used to be drawn full width both).
    @Test func barsOnOnePageShareAScale() {
        let page = HTMLReport.page(
            title: "impact", subtitle: "",
            charts: [
                ("Messages", [HTMLReport.Bar(label: "dana", value: 58, text: "+58%")]),
                ("Likes", [HTMLReport.Bar(label: "dana", value: 100, text: "+100%")]),
            ],
            header: [], rows: [])
        #expect(page.contains("width=\"324.8\""), "58% of 560 points")
        #expect(page.contains("width=\"560.0\""), "the largest, full width")
    }
}

@Suite("Colour only for a person at a terminal")
struct ColourTests {
    @Test func paintsOnlyWhenEnabled() {
        #expect(Colour.red.paint("FAIL", enabled: true) == "\u{1B}[31mFAIL\u{1B}[0m")
        #expect(Colour.green.paint("PASS", enabled: false) == "PASS")
    }

    /// A pipe is never a terminal; NO_COLOR and TERM=dumb turn colour off even on one.
    @Test func offWhenPipedOrAskedNotTo() {
        #expect(!Colour.enabled(on: Pipe().fileHandleForWriting.fileDescriptor))
        #expect(Colour.allowed(isTerminal: true, environment: ["TERM": "xterm-256color"]))
        #expect(Colour.allowed(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!Colour.allowed(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(!Colour.allowed(isTerminal: true, environment: ["TERM": "dumb"]))
        #expect(!Colour.allowed(isTerminal: false, environment: [:]))
    }

    /// What people typed is made visible before colour is added: a title cannot paint the line.
    @Test func typedEscapesStayVisible() async throws {
        let result = try await PodiumBinary.run(["workflow", "test", "/nonexistent-\u{1B}[31m"], environment: [:])
        #expect(!result.stdout.contains("\u{1B}") && !result.stderr.contains("\u{1B}["), "\(result)")
    }
}
