/// One text a person might put in a date field, and the instant it names (seconds since
/// 1970-01-01T00:00:00Z) or nil when it is not a date.
public struct DateCase: Sendable, CustomStringConvertible {
    /// What was typed.
    public let text: String
    /// Seconds since the Unix epoch, or nil for "not a date".
    public let seconds: Double?
    /// The rule of RFC 3339 the case is about.
    public let rule: String

    init(_ text: String, _ seconds: Double?, _ rule: String) {
        self.text = text
        self.seconds = seconds
        self.rule = rule
    }

    public var description: String { "\(rule): \(text.debugDescription)" }

    /// How far a reading may be from ``seconds``: half a microsecond (the precision kept), or
    /// what a `Date` (a Double) can hold so far from 2001, whichever is more (about 8 µs in
    /// year 0000).
    public var tolerance: Double { max(0.000_000_5, (seconds ?? 0).ulp * 4) }
}

/// The table of date cases both readers are held to: `DataDate.parse` (the engine) and
/// `podium_data_timestamp` (the flow report's SQL). One case per rule of RFC 3339 §5.6 and its
/// errata, with the RFC's own §5.8 examples and the kinds of case JSON-Schema-Test-Suite's
/// `date-time` format checks (case of `T` and `Z`, fractions, offsets, leap seconds, impossible
/// days, non-ASCII digits). The instants were computed with Python's `datetime` (proleptic
/// Gregorian; year 0000 counted back from 0001-01-01 by its 366 days), not with either reader.
public enum DateCases {
    public static let all: [DateCase] = [
        DateCase("2026-03-10T09:00:00Z", 1773133200.0, "upper-case T and Z"),
        DateCase("2026-03-10t09:00:00z", 1773133200.0, "lower-case t and z (RFC 3339 §5.6 note)"),
        DateCase("2026-03-10t09:00:00Z", 1773133200.0, "lower-case t"),
        DateCase("2026-03-10T09:00:00z", 1773133200.0, "lower-case z"),
        DateCase("2026-03-10T09:00:00+02:00", 1773126000.0, "positive offset"),
        DateCase("2026-03-10T01:00:00-05:30", 1773124200.0, "negative offset with minutes"),
        DateCase("2026-03-10T09:00:00-00:00", 1773133200.0, "unknown local offset -00:00 (§4.3)"),
        DateCase("2026-03-10T09:00:00+15:00", 1773079200.0, "offset beyond +14:00: hours 00-23 are allowed"),
        DateCase("2026-03-10T09:00:00+23:59", 1773046860.0, "largest offset"),
        DateCase("2026-03-10T09:00:00-23:59", 1773219540.0, "smallest offset"),
        DateCase("2026-03-10T09:00:00.5Z", 1773133200.5, "one-digit fraction"),
        DateCase("1985-04-12T23:20:50.52Z", 482196050.52, "RFC 3339 §5.8 example"),
        DateCase("1996-12-19T16:39:57-08:00", 851042397.0, "RFC 3339 §5.8 example"),
        DateCase("1990-12-31T23:59:60Z", 662688000.0, "leap second, UTC (§5.8)"),
        DateCase("1990-12-31T15:59:60-08:00", 662688000.0, "leap second with an offset (§5.8)"),
        DateCase("1998-12-31T22:59:60-01:00", 915148800.0, "leap second: 23:59 in UTC"),
        DateCase("2026-12-31T23:59:60Z", 1798761600.0, "leap second at the end of 2026"),
        DateCase("2026-06-30T23:59:60.25Z", 1782864000.25, "leap second with a fraction"),
        DateCase("1937-01-01T12:00:27.87+00:20", -1041337172.13, "RFC 3339 §5.8 example, offset of 20 minutes"),
        DateCase("1985-04-12T00:59:59.999999999999999Z", 482115600.0, "a fraction of fifteen nines"),
        DateCase("2026-03-10T09:00:00.0000015Z", 1773133200.000002, "a seventh digit of 5 rounds the microsecond up"),
        DateCase("2026-03-10T09:00:00.0000014Z", 1773133200.000001, "a seventh digit below 5 rounds down"),
        DateCase("2026-03-10T09:00:00.9999995Z", 1773133201.0, "rounding carries into the next second"),
        DateCase("2026-03-10T09:00:00.123456789+05:30", 1773113400.123457, "nine digits and an offset"),
        DateCase("2026-03-10", 1773100800.0, "a plain day, midnight UTC"),
        DateCase("2024-02-29T12:00:00Z", 1709208000.0, "29 February of a leap year"),
        DateCase("2000-02-29", 951782400.0, "29 February of a year divisible by 400"),
        DateCase("1500-01-01T00:00:00Z", -14831769600.0, "before 1582: proleptic Gregorian"),
        DateCase("0001-01-01T00:00:00Z", -62135596800.0, "year 1"),
        DateCase("0000-01-01T00:00:00Z", -62167219200.0, "year 0000 (1 BC)"),
        DateCase("0000-02-29", -62162121600.0, "year 0000 is a leap year"),
        DateCase("9999-12-31T23:59:59Z", 253402300799.0, "the last second of 9999"),
        DateCase("9999-12-31T23:59:59.9999994Z", 253402300799.999999, "the last microsecond of 9999"),
        DateCase("0000-01-01T01:00:00+01:00", -62167219200.0, "the first instant of 0000 with an offset"),
        DateCase("0000-01-01T00:59:59.9999995+01:00", -62167219200.0, "rounding carries into year 0000"),
        DateCase("9999-12-31T23:59:60Z", nil, "a leap second that ends 9999 is in year 10000"),
        DateCase("9999-12-31T23:00:00-01:00", nil, "an offset that carries 9999 into year 10000"),
        DateCase("9999-12-31T23:59:59.9999995Z", nil, "rounding that carries 9999 into year 10000"),
        DateCase("0000-01-01T00:30:00+01:00", nil, "an offset that carries 0000 back into 2 BC"),
        DateCase("1969-12-31T23:59:59Z", -1.0, "before the Unix epoch"),
        DateCase("2026-03-10T24:00:00Z", nil, "hour 24 (ISO 8601 only)"),
        DateCase("2026-03-10T23:60:00Z", nil, "minute 60"),
        DateCase("2026-03-10T23:59:61Z", nil, "second 61"),
        DateCase("1998-12-31T23:58:60Z", nil, "leap second on a wrong minute"),
        DateCase("1998-12-31T22:59:60Z", nil, "leap second on a wrong hour"),
        DateCase("1998-12-31T23:59:60+01:00", nil, "leap second at 22:59 UTC"),
        DateCase("2026-03-10T09:00:00+24:00", nil, "offset hour 24"),
        DateCase("2026-03-10T09:00:00-24:00", nil, "offset hour -24"),
        DateCase("2026-03-10T09:00:00+10:60", nil, "offset minute 60"),
        DateCase("2026-02-30", nil, "30 February"),
        DateCase("2026-02-29T00:00:00Z", nil, "29 February of a common year"),
        DateCase("1900-02-29", nil, "29 February of a year divisible by 100"),
        DateCase("2026-04-31T00:00:00Z", nil, "31 April"),
        DateCase("2026-13-01", nil, "month 13"),
        DateCase("2026-00-10", nil, "month 00"),
        DateCase("2026-03-00", nil, "day 00"),
        DateCase("2026-03-10T09:00:00", nil, "no offset"),
        DateCase("2026-03-10 09:00:00Z", nil, "a space for T"),
        DateCase("2026-03-10T09:00:00.Z", nil, "an empty fraction"),
        DateCase("2026-03-10T09:00:00,5Z", nil, "a comma for the decimal point"),
        DateCase("2026-03-10T09:00:00+0200", nil, "an offset without a colon"),
        DateCase("2026-03-10T09:00:00+02", nil, "an offset without minutes"),
        DateCase("2026-03-10T09:00Z", nil, "no seconds"),
        DateCase("2026-3-10T09:00:00Z", nil, "a one-digit month"),
        DateCase("2026-03-1T09:00:00Z", nil, "a one-digit day"),
        DateCase("2026-03-10T9:00:00Z", nil, "a one-digit hour"),
        DateCase("1963-06-1৪T00:00:00Z", nil, "a Bengali digit in the date"),
        DateCase("1963-06-11T0৪:00:00Z", nil, "a Bengali digit in the time"),
        DateCase("２０２６-03-10", nil, "full-width digits"),
        DateCase("+11963-06-19T08:30:06Z", nil, "an extended year"),
        DateCase("-0001-01-01T00:00:00Z", nil, "a negative year"),
        DateCase("2013-350T01:01:01Z", nil, "an ordinal date"),
        DateCase("2026-W11-2", nil, "a week date"),
        DateCase("06/19/1963 08:30:06 PST", nil, "not RFC 3339"),
        DateCase("2026-03-10T09:00:00+01:00Z", nil, "Z after an offset"),
        DateCase("2026-03-10T09:00:00ZZ", nil, "two Zs"),
        DateCase("2026-03-10T09:00:00Zjunk", nil, "text after the offset"),
        DateCase(" 2026-03-10", nil, "a leading space"),
        DateCase("2026-03-10\n", nil, "a trailing newline"),
        DateCase("next-tuesday", nil, "words"),
        DateCase("", nil, "empty"),
    ]
}
