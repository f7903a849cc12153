import Foundation
import Testing

@testable import PodiumCore

@Suite("Calendar feeds are RFC 5545")
struct ICalendarTests {
    /// Text people typed cannot end a line or a property: backslashes, semicolons, commas and line
    /// breaks are escaped, other controls dropped; long lines fold at 75 octets, never inside a
    /// character, and unfold back to the same text.
    @Test func textIsEscapedAndLinesFold() {
        #expect(ICalendar.text("a;b,c\\d\ne\u{7}f") == "a\\;b\\,c\\\\d\\ne" + "f")
        let title = String(repeating: "日本語 ", count: 30) + "END:VCALENDAR"
        let event = CalendarEvent(
            uid: "u@podium", start: Date(timeIntervalSince1970: 1_773_133_200), summary: title, description: "x",
            url: nil)
        let text = ICalendar.render([event], name: "Podium", now: Date(timeIntervalSince1970: 0))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 75 }, "a line over 75 octets")
        #expect(!lines.contains("END:VCALENDAR ") && lines.filter { $0 == "END:VCALENDAR" }.count == 1)
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded.contains("SUMMARY:\(title)"))
        #expect(unfolded.contains("DTSTART:20260310T090000Z\r\nDTEND:20260310T093000Z"))
    }

    /// A publish date given as a day is a day in every zone, not midnight UTC (the evening before
    /// in New York); a grapheme longer than a line still folds within 75 octets.
    @Test func daysAreDaysAndLongGraphemesFold() {
        let day = CalendarEvent(
            uid: "d@podium", start: Date(timeIntervalSince1970: 1_773_100_800), summary: "Publish", description: "",
            url: nil, allDay: true)
        let text = ICalendar.render([day], name: "P", now: Date(timeIntervalSince1970: 0))
        #expect(text.contains("DTSTART;VALUE=DATE:20260310\r\nDTEND;VALUE=DATE:20260311"), "\(text)")
        let zalgo = "e" + String(repeating: "\u{301}", count: 60)
        let folded = ICalendar.fold("SUMMARY:" + zalgo)
        #expect(folded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 && !$0.isEmpty })
    }
}
