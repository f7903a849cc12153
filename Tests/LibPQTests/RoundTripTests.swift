import Foundation
import LibPQ
import PodiumTestSupport
import Testing

private struct Guidance: Codable, Equatable, Sendable {
    var stage: String
    var tips: [String]
    var due: Int?
}

@Suite("Values round-trip through a real PostgreSQL")
struct RoundTripTests {
    /// Sends `value` as a parameter of its announced type and reads it back.
    private func roundTrip<T: PostgresEncodable & PostgresDecodable>(
        _ value: T, on connection: PostgresConnection
    ) async throws -> T {
        let rows = try await connection.query("select \(value) as v")
        return try rows.single().decode(T.self, "v")
    }

    @Test func integersDoublesAndBooleans() async throws {
        try await TestDatabase.withConnection { db in
            for value in [0, 1, -1, Int.max, Int.min] {
                let back = try await roundTrip(value, on: db)
                #expect(back == value)
            }
            for value in [Int32.max, Int32.min, 0] {
                let back = try await roundTrip(value, on: db)
                #expect(back == value)
            }
            let smallest = try await roundTrip(Int64.min, on: db)
            #expect(smallest == Int64.min)
            for value in [0.0, -0.5, 1e-300, 1.7976931348623157e308, 0.1 + 0.2, .infinity, -.infinity] {
                let back = try await roundTrip(value, on: db)
                #expect(back == value)
            }
            let notANumber = try await roundTrip(Double.nan, on: db)
            #expect(notANumber.isNaN)
            let yes = try await roundTrip(true, on: db)
            let no = try await roundTrip(false, on: db)
            #expect(yes && !no)
        }
    }

    @Test func strings() async throws {
        try await TestDatabase.withConnection { db in
            let megabyte = String(repeating: "podium ✓ ", count: 1_048_576 / 10)
            for value in [
                "", "plain", "é漢字🙂 right-to-left עברית", "'); DROP TABLE items; --", "line\nbreak\ttab", megabyte,
            ] {
                let back = try await roundTrip(value, on: db)
                #expect(back == value)
            }
        }
    }

    @Test func datesIncludingExtremes() async throws {
        try await TestDatabase.withConnection { db in
            let now = Date(timeIntervalSince1970: 1_795_858_200.123456)
            let back = try await roundTrip(now, on: db)
            #expect(abs(back.timeIntervalSince1970 - now.timeIntervalSince1970) < 0.000_001)
            for seconds in [-62_135_596_800.0, 253_402_300_799.0, -210_866_803_200.0, 0, -1] {
                let date = Date(timeIntervalSince1970: seconds)
                let back = try await roundTrip(date, on: db)
                #expect(back == date)
            }
            let rows = try await db.query("select '2026-06-01 12:00:00+02'::timestamptz as t")
            #expect(try rows.single().decode(Date.self, "t") == Date(timeIntervalSince1970: 1_780_308_000))
        }
    }

    @Test func uuidsJSONAndTextArrays() async throws {
        try await TestDatabase.withConnection { db in
            let id = UUID()
            let sameID = try await roundTrip(id, on: db)
            #expect(sameID == id)
            let guidance = Guidance(stage: "draft", tips: ["short updates", "ask a question"], due: nil)
            let back = try await roundTrip(PostgresJSON(guidance), on: db)
            #expect(back.value == guidance)
            // Flat string objects take the direct writer: every character class that needs an
            // escape, slashes (left as they are), and text beyond ASCII.
            let fields: [String: String] = [
                "body": "Line one\nline \"two\"\t\\ and a bell \u{07} and \u{1F}",
                "url": "https://example.com/a/b", "name": "Zoë 👩‍💼", "": "empty key", "z": "",
            ]
            let sameFields = try await roundTrip(PostgresJSON(fields), on: db)
            #expect(sameFields.value == fields)
            let reparsed = try JSONDecoder().decode(
                [String: String].self, from: Data(try PostgresJSON(fields).postgresText().utf8))
            #expect(reparsed == fields)
            let arrays: [[String]] = [[], ["coach"], ["a b", #"q"u"#, #"b\s"#, "NULL", "", "{x}", "é"]]
            for array in arrays {
                let back = try await roundTrip(array, on: db)
                #expect(back == array)
            }
        }
    }

    @Test func integerArraysTravelTypedSoStatementsNeedNoCast() async throws {
        try await TestDatabase.withConnection { db in
            let ids: [Int] = [7, -2, 9_000_000_000]
            let counts: [Int32] = [1, 2]
            let row = try await db.query(
                """
                select pg_typeof(\(ids))::text as ids_type, pg_typeof(\(counts))::text as counts_type,
                       (\(ids))[3] as third, 9000000000 = any(\(ids)) as found, cardinality(\([Int]())) as empty
                """
            ).single()
            #expect(try row.decode(String.self, "ids_type") == "bigint[]")
            #expect(try row.decode(String.self, "counts_type") == "integer[]")
            #expect(try row.decode(Int.self, "third") == 9_000_000_000)
            #expect(try row.decode(Bool.self, "found"))
            #expect(try row.decode(Int.self, "empty") == 0)
        }
    }

    @Test func nullsDecodeAsNilAndRefuseNonOptionals() async throws {
        try await TestDatabase.withConnection { db in
            let nothing: Int? = nil
            let row = try await db.query("select \(nothing)::int8 as n, null::text as t").single()
            #expect(try row.decode(Int?.self, "n") == nil)
            #expect(try row.decode(String?.self, "t") == nil)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, "n") }
        }
    }

    @Test func typeMismatchNamesTheColumnAndBothTypes() async throws {
        try await TestDatabase.withConnection { db in
            let row = try await db.query("select 'x'::text as label, 5::int4 as count").single()
            do {
                _ = try row.decode(Int.self, "label")
                Issue.record("text must not decode as Int")
            } catch let error as PostgresError {
                #expect(error.kind == .decoding)
                #expect(error.message.contains("\"label\""))
                #expect(error.message.contains("text"))
                #expect(error.message.contains("Int"))
            }
            #expect(throws: PostgresError.self) { try row.decode(Bool.self, "count") }
            #expect(throws: PostgresError.self) { try row.decode(Int.self, "missing") }
        }
    }

    @Test func hostileTextIsStoredVerbatim() async throws {
        try await TestDatabase.withConnection(migrated: false) { db in
            try await db.execute("create table items (id serial primary key, title text)")
            let hostile = "'); DROP TABLE items; --"
            try await db.execute("insert into items (title) values (\(hostile))")
            let title = try await db.query("select title from items").single().decode(String.self, "title")
            #expect(title == hostile)
            let count = try await db.query("select count(*) as n from items").single().decode(Int.self, "n")
            #expect(count == 1)
        }
    }
}
