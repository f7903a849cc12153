import Foundation
import Testing
import WorkflowEngine

@Suite("A time zone is a tz database name")
struct TimeZoneNameTests {
    @Test(arguments: [
        "Europe/London", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
        "America/Argentina/Buenos_Aires", "Pacific/Chatham", "Asia/Calcutta", "Europe/Kyiv", "UTC", "Etc/UTC",
    ])
    func namesOfTheDatabaseAreAccepted(name: String) throws {
        let zone = try TimeZoneName.zone(name)
        #expect(name.hasSuffix("UTC") ? zone.secondsFromGMT() == 0 : zone.identifier == name)
    }

    /// Abbreviations and legacy names are refused with the zone people usually mean; `BST` used
    /// to be read as Bangladesh (UTC+6).
    @Test(arguments: [
        ("BST", "Europe/London"), ("IST", "Asia/Kolkata"), ("EST", "America/New_York"), ("PST", "America/Los_Angeles"),
        ("CET", "Europe/Paris"), ("GMT", "Europe/London"), ("US/Eastern", "America/New_York"), ("cest", "Europe/Paris"),
        ("europe/london", "Europe/London"), ("London", "Europe/London"), ("new york", "America/New_York"),
        ("Europe/Lodnon", "Europe/London"), ("Africa/Lagoss", "Africa/Lagos"), ("utc", "UTC"), ("Zulu", "UTC"),
    ])
    func otherNamesAreRefusedWithASuggestion(name: String, suggestion: String) {
        #expect(throws: TimeZoneNameError.self) { try TimeZoneName.zone(name) }
        do {
            _ = try TimeZoneName.zone(name)
        } catch {
            #expect(error.suggestion == suggestion)
            #expect(error.hint == "did you mean \(suggestion)?")
        }
    }

    @Test(arguments: ["GMT+5", "UTC+3", "UTC-03:30", "+05:00", "Etc/GMT+5", "gmt-2"])
    func fixedOffsetsAreRefused(name: String) {
        do {
            _ = try TimeZoneName.zone(name)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.message.contains("fixed offset"))
            #expect(error.suggestion == nil)
        }
    }

    @Test(arguments: ["", " ", "Mars/Olympus", "Europe", "Europe/", "Europe/London ", "Local", "Z+1"])
    func anythingElseIsRefused(name: String) {
        #expect(throws: TimeZoneNameError.self) { try TimeZoneName.zone(name) }
    }
}
