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
