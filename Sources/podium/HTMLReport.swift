import Foundation

/// A self-contained HTML page (no scripts, no external files) with a bar chart and a table.
enum HTMLReport {
    struct Bar {
        let label: String
        let value: Double
        let text: String
    }

    static func page(title: String, subtitle: String, charts: [(String, [Bar])], header: [String], rows: [[String]])
        -> String
    {
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1d2330; }
            h1 { font-size: 1.5rem; margin-bottom: 0; } p.sub { color: #5b6475; margin-top: .2rem; }
            table { border-collapse: collapse; margin-top: 1.5rem; width: 100%; }
            th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ec; }
            th { background: #f4f6f9; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
            svg text { font: 12px system-ui, sans-serif; fill: #1d2330; }
            </style></head><body>
            <h1>\(escape(title))</h1><p class="sub">\(escape(subtitle))</p>

            """
        // One scale for every chart of the page: with a scale per chart, a chart of one bar drew it
        // full width, and +58% messages looked like +100% likes.
        let largest = charts.flatMap(\.1).map { abs($0.value) }.max() ?? 1
        for (chartTitle, bars) in charts where !bars.isEmpty {
            html += "<h2>\(escape(chartTitle))</h2>\n" + chart(bars, scale: largest) + "\n"
        }
        html += "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in rows {
            html +=
                "<tr>"
                + row.map { cell in
                    let numeric = cell.first.map { $0.isNumber || $0 == "+" || $0 == "-" } ?? false
                    return numeric ? "<td class=\"n\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
                }.joined() + "</tr>\n"
        }
        return html + "</tbody></table>\n</body></html>\n"
    }

    /// Horizontal bars, `scale` (the largest magnitude on the page) drawn full width; negative
    /// values in red.
    static func chart(_ bars: [Bar], scale: Double) -> String {
        let width = 560.0
        let labelWidth = 190.0
        let rowHeight = 26.0
        let largest = max(scale, 1e-9)
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + width + 90))\" "
            + "height=\"\(Int(Double(bars.count) * rowHeight + 10))\" role=\"img\">\n"
        for (index, bar) in bars.enumerated() {
            let y = Double(index) * rowHeight + 4
            let length = max(1, abs(bar.value) / largest * width)
            let colour = bar.value < 0 ? "#d0473b" : "#2f7ed8"
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(escape(bar.label))</text>"
            svg +=
                "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(String(format: "%.1f", length))\" height=\"18\" fill=\"\(colour)\"/>"
            svg +=
                "<text x=\"\(String(format: "%.1f", labelWidth + length + 6))\" y=\"\(y + 15)\">\(escape(bar.text))</text>\n"
        }
        return svg + "</svg>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
