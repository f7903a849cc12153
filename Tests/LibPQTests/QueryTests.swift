import Testing

@testable import LibPQ

@Suite("PostgresQuery builds SQL with bound parameters only")
struct QueryTests {
    @Test func interpolatedValuesBecomeNumberedParameters() throws {
        let stage = "draft"
        let limit = 10
        let query: PostgresQuery = "select * from items where stage = \(stage) and id > \(limit) limit \(limit)"
        #expect(query.sql == "select * from items where stage = $1 and id > $2 limit $3")
        #expect(try query.bindings.map { try $0.text() } == ["draft", "10", "10"])
        #expect(query.bindings.map(\.type) == [.unknown, .int8, .int8])
    }

    @Test func injectionTextStaysAValue() throws {
        let hostile = "'); DROP TABLE items; --"
        let query: PostgresQuery = "insert into t (x) values (\(hostile))"
        #expect(query.sql == "insert into t (x) values ($1)")
        #expect(!query.description.contains("DROP"))
    }

    @Test func nilBindsNull() throws {
        let missing: String? = nil
        let query: PostgresQuery = "select \(missing)"
        #expect(try query.bindings[0].text() == nil)
    }

    @Test func fragmentsKeepTheirParametersAndAreRenumbered() throws {
        let workflow = "exec-post"
        let stage = "draft"
        let filters: [PostgresQuery] = ["workflow = \(workflow)", "stage = \(stage)"]
        let query: PostgresQuery =
            "select id from items where \(PostgresQuery.joined(filters, separator: " and ")) and id > \(5)"
        #expect(query.sql == "select id from items where workflow = $1 and stage = $2 and id > $3")
        #expect(try query.bindings.map { try $0.text() } == ["exec-post", "draft", "5"])
    }

    @Test func identifiersAreQuotedAndEscaped() {
        let name = #"evil"; drop table items; --"#
        let query: PostgresQuery = "listen \(identifier: name)"
        #expect(query.sql == #"listen "evil""; drop table items; --""#)
    }

    @Test func textWithNulIsRefusedAtEncoding() {
        let query: PostgresQuery = "select \("a\u{0}b")"
        #expect(throws: PostgresError.self) { try query.bindings[0].text() }
    }
}

@Suite("Text formats of timestamps and arrays")
struct TextFormatTests {
    @Test(arguments: [
        ("1970-01-01 00:00:00+00", Int64(0), Int64(0)),
        ("2026-11-28 09:30:00.250000+00", 1_795_858_200, 250_000),
        ("2000-02-29 23:59:59.999999+00", 951_868_799, 999_999),
        ("0001-01-01 00:00:00+00", -62_135_596_800, 0),
        ("9999-12-31 23:59:59+00", 253_402_300_799, 0),
        ("4714-11-24 00:00:00+00 BC", -210_866_803_200, 0),
        ("0001-12-31 23:59:59+00 BC", -62_135_596_801, 0),
        ("294276-12-31 23:59:59.999999+00", 9_224_318_015_999, 999_999),
    ])
    func timestampsRoundTrip(text: String, seconds: Int64, micros: Int64) throws {
        let parsed = try #require(PostgresTimestamp.parse(text))
        #expect(parsed.seconds == seconds)
        #expect(parsed.microseconds == micros)
        #expect(PostgresTimestamp.format(seconds: seconds, microseconds: micros) == text)
    }

    @Test func shortFractionsAreMicroseconds() throws {
        let parsed = try #require(PostgresTimestamp.parse("2026-11-28 09:30:00.25+00"))
        #expect(parsed.microseconds == 250_000)
    }

    @Test func timestampOffsetsAreApplied() throws {
        let shifted = try #require(PostgresTimestamp.parse("2026-01-01 10:00:00+05:30"))
        let utc = try #require(PostgresTimestamp.parse("2026-01-01 04:30:00+00"))
        #expect(shifted.seconds == utc.seconds)
    }

    @Test(arguments: ["", "infinity", "2026-13-01 00:00:00+00", "2026-01-01", "2026-01-01 00:00:00.1234567+00"])
    func malformedTimestampsAreRejected(text: String) {
        #expect(PostgresTimestamp.parse(text) == nil)
    }

    @Test func arraysRoundTrip() throws {
        let values = [
            "plain", "with space", #"quote " inside"#, #"back\slash"#, "", "NULL", "{brace}", "comma,x", "é 漢字",
        ]
        let literal = PostgresArrayLiteral.format(values)
        #expect(PostgresArrayLiteral.parse(literal) == values)
    }

    @Test func arraysWithNullsAndBoundsParse() {
        #expect(PostgresArrayLiteral.parse("{a,NULL,\"b c\"}") == ["a", nil, "b c"])
        #expect(PostgresArrayLiteral.parse("[0:1]={x,y}") == ["x", "y"])
        #expect(PostgresArrayLiteral.parse("{}") == [])
        #expect(PostgresArrayLiteral.parse("{a,") == nil)
        #expect(PostgresArrayLiteral.parse("{{a},{b}}") == nil)
        #expect(PostgresArrayLiteral.parse(#"{"é \"漢\"",NULLS,"NULL",x́}"#) == [#"é "漢""#, "NULLS", "NULL", "x́"])
        for malformed in ["", "{", "}", "[0:1]", #"{"a"b}"#, #"{"a}"#, #"{a,"b"#, "{a}x", "x{a}"] {
            #expect(PostgresArrayLiteral.parse(malformed) == nil, "\(malformed)")
        }
    }
}

@Suite("Configuration never shows the password")
struct ConfigurationTests {
    @Test func urlPasswordIsRedacted() throws {
        let configuration = try PostgresConfiguration("postgres://alice:s3cr%21t@db.example:5433/podium")
        #expect(!configuration.description.contains("s3cr"))
        #expect(configuration.description.contains("password=***"))
        #expect(configuration.description.contains("host=db.example"))
    }

    @Test func conninfoPasswordIsRedacted() throws {
        let configuration = try PostgresConfiguration("host=localhost password='hunter2' dbname=x")
        #expect(!configuration.description.contains("hunter2"))
    }

    @Test(arguments: ["postgres://bob:topsecret@host/db?nope=1", "postgres://bob:top%zzsecret@host/db"])
    func parseErrorsDoNotEchoThePassword(url: String) {
        do {
            _ = try PostgresConfiguration(url)
            Issue.record("\(url) must not parse")
        } catch {
            #expect(!error.description.contains("secret"))
            #expect(error.kind == .configuration)
        }
    }

    @Test func environmentPrefersDatabaseURLThenPGVariables() throws {
        let fromURL = try PostgresConfiguration.fromEnvironment(["DATABASE_URL": "postgres://a@h/d", "PGHOST": "x"])
        #expect(fromURL?.source == .databaseURL)
        let fromPG = try PostgresConfiguration.fromEnvironment(["PGHOST": "/tmp"])
        #expect(fromPG?.source == .libpqEnvironment)
        #expect(try PostgresConfiguration.fromEnvironment(["HOME": "/root"]) == nil)
    }

    @Test func connectFailureScrubsThePassword() async throws {
        do {
            _ = try await PostgresConnection.connect(
                try PostgresConfiguration("postgres://carol:pa55word@127.0.0.1:1/podium?connect_timeout=2"))
            Issue.record("port 1 must refuse")
        } catch {
            #expect(error.kind == .connectionFailed)
            #expect(!"\(error)".contains("pa55word"))
            #expect(error.isTransientConnectFailure)
        }
    }
}

@Suite("Configuration for child processes")
struct ChildConfigurationTests {
    @Test func conninfoCarriesOverridesAndQuotes() throws {
        let configuration = try PostgresConfiguration("postgresql://bob:it's@db/podium?port=6000")
            .withDatabase("other db")
        let conninfo = configuration.conninfoIncludingPassword()
        #expect(conninfo.contains("dbname='other db'"))
        #expect(conninfo.contains("port='6000'"))
        #expect(conninfo.contains(#"password='it\'s'"#))
        let reparsed = try PostgresConfiguration(conninfo)
        #expect(reparsed.description.contains("dbname=other db"))
    }
}
