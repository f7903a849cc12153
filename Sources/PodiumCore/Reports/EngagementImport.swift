public import Foundation
internal import LibPQ
internal import SwiftCSV
internal import WorkflowEngine

/// The shape of a platform's post-analytics export: which column holds what Podium records.
public struct EngagementFormat: Sendable {
    /// Podium's fields: `url`, `date`, `messages`, `replies`, `likes`, `impressions`.
    public static let fields = ["url", "date", "messages", "replies", "likes", "impressions"]

    public let name: String
    /// Column names by Podium field; `impressions` may be absent from a file.
    public let columns: [String: String]

    /// LinkedIn's page post analytics: reposts are counted as messages (the post carried on).
    public static let linkedin = EngagementFormat(
        name: "linkedin",
        columns: [
            "url": "Post link", "date": "Created date", "messages": "Reposts", "replies": "Comments",
            "likes": "Reactions", "impressions": "Impressions",
        ])
    /// X's post activity export: reposts as messages.
    public static let x = EngagementFormat(
        name: "x",
        columns: [
            "url": "Post permalink", "date": "time", "messages": "reposts", "replies": "replies", "likes": "likes",
            "impressions": "impressions",
        ])
    /// Columns named after Podium's fields.
    public static let generic = EngagementFormat(
        name: "generic", columns: Dictionary(uniqueKeysWithValues: fields.map { ($0, $0) }))

    /// The format called `name` (`linkedin`, `x`, `generic`), or nil.
    public static func named(_ name: String) -> EngagementFormat? {
        [linkedin, x, generic].first { $0.name == name }
    }

    /// This format with some fields read from other columns (`--map column=field`).
    ///
    /// - Throws: ``PodiumError`` `.usage` for a field Podium does not record.
    public func mapping(_ overrides: [(column: String, field: String)]) throws -> EngagementFormat {
        var columns = self.columns
        for (column, field) in overrides {
            guard Self.fields.contains(field) else {
                throw PodiumError(
                    .usage,
                    "--map \(column)=\(field): \(field) is not a field; use \(Self.fields.joined(separator: ", "))",
                    reason: "map")
            }
            columns[field] = column
        }
        return EngagementFormat(name: name, columns: columns)
    }
}

/// One measurement read from an export, with the row it came from.
public struct EngagementRow: Sendable, Equatable {
    /// The data row's number, 1 for the first row after the header.
    public let row: Int
    public let url: String
    public let measuredAt: Date
    public let messages: Int
    public let replies: Int
    public let likes: Int
    public let impressions: Int?
}

/// Reads a platform's CSV export with SwiftCSV: quoted fields (commas, quotes, line breaks inside),
/// a byte order mark, thousands separators in counts (`1,234`, `1 234`, `1'234`).
public enum EngagementCSV {
    /// The rows of `text` in `format`, and the rows that could not be read (with why).
    ///
    /// - Throws: ``PodiumError`` `.usage` when the file is not CSV or lacks a column the format needs.
    public static func read(_ text: String, format: EngagementFormat) throws -> (
        rows: [EngagementRow], problems: [(row: Int, reason: String)]
    ) {
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let csv: EnumeratedCSV
        do {
            csv = try EnumeratedCSV(string: body, delimiter: .comma, loadColumns: false)
        } catch {
            throw PodiumError(.usage, "the file is not CSV: \(error)", reason: "csv")
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        var index: [String: Int] = [:]
        var missing: [String] = []
        for field in EngagementFormat.fields {
            guard let column = format.columns[field] else { continue }
            if let position = header.firstIndex(where: { $0.caseInsensitiveCompare(column) == .orderedSame }) {
                index[field] = position
            } else if field != "impressions" {
                missing.append("\"\(column)\" (for \(field))")
            }
        }
        guard missing.isEmpty else {
            throw PodiumError(
                .usage,
                "the \(format.name) format needs a column \(missing.joined(separator: " and a column ")); the file has \(header.joined(separator: ", "))",
                hint: "name another column with --map \"COLUMN=FIELD\"", reason: "csv")
        }
        var rows: [EngagementRow] = []
        var problems: [(row: Int, reason: String)] = []
        for (offset, cells) in csv.rows.enumerated() {
            let number = offset + 1
            func cell(_ field: String) -> String? {
                index[field].flatMap { $0 < cells.count ? cells[$0].trimmingCharacters(in: .whitespaces) : nil }
            }
            if cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard let url = cell("url"), !url.isEmpty else {
                problems.append((number, "no post address"))
                continue
            }
            guard let date = cell("date"), let measuredAt = Self.date(date) else {
                problems.append((number, "\"\(cell("date") ?? "")\" is not a date"))
                continue
            }
            var counts: [String: Int] = [:]
            var bad: String?
            for field in ["messages", "replies", "likes", "impressions"] {
                // An empty count is none; an empty impressions cell is unknown, not zero.
                guard let text = cell(field), field != "impressions" || !text.isEmpty else { continue }
                guard let count = Self.count(text) else {
                    bad = "\(field) \"\(text)\" is not a count"
                    break
                }
                counts[field] = count
            }
            if let bad {
                problems.append((number, bad))
                continue
            }
            rows.append(
                EngagementRow(
                    row: number, url: url, measuredAt: measuredAt, messages: counts["messages"] ?? 0,
                    replies: counts["replies"] ?? 0, likes: counts["likes"] ?? 0, impressions: counts["impressions"]))
        }
        return (rows, problems)
    }

    /// A whole count as exports write it: `1,234`, `1 234` (a space or a no-break space), `1'234`,
    /// or empty for none; nil for anything else (a fraction, a negative, text).
    static func count(_ text: String) -> Int? {
        let digits = text.filter { !",' \u{00A0}\u{202F}".contains($0) }
        if digits.isEmpty { return 0 }
        guard digits.allSatisfy(\.isASCII), let value = Int(digits), value >= 0, value <= Int(Int32.max) else {
            return nil
        }
        return value
    }

    /// A date as exports write it: RFC 3339, `2026-03-16`, `2026-03-16 14:05`, `2026-03-16 14:05 +0000`
    /// (UTC unless an offset is given) or `03/16/2026` and `3/16/2026` (month first, as LinkedIn
    /// writes it).
    static func date(_ text: String) -> Date? {
        if let instant = DataDate.parse(text) { return instant }
        let parts = text.split(separator: " ").map(String.init)
        if let first = parts.first, first.contains("/") {
            let numbers = first.split(separator: "/", omittingEmptySubsequences: false).compactMap { Int($0) }
            guard parts.count == 1, numbers.count == 3, numbers[2] >= 1000 else { return nil }
            return DataDate.parse(String(format: "%04d-%02d-%02dT00:00:00Z", numbers[2], numbers[0], numbers[1]))
        }
        switch parts.count {
        case 1: return DataDate.parse("\(text)T00:00:00Z")
        case 2: return DataDate.parse("\(parts[0])T\(parts[1].count == 5 ? parts[1] + ":00" : parts[1])Z")
        case 3:
            let offset = parts[2]
            guard offset.count == 5, let sign = offset.first, sign == "+" || sign == "-" else { return nil }
            let time = parts[1].count == 5 ? parts[1] + ":00" : parts[1]
            return DataDate.parse("\(parts[0])T\(time)\(offset.prefix(3)):\(offset.suffix(2))")
        default: return nil
        }
    }
}

/// What an import did.
public struct EngagementImportSummary: Sendable, Codable {
    /// Measurements recorded for the first time, changed since the last import, and the same.
    public let added: Int
    public let updated: Int
    public let unchanged: Int
    /// Rows whose post matches no item (by the `url` in the item's data), and rows that could not
    /// be read, each with the row number and why.
    public let unmatched: [Problem]
    public let unreadable: [Problem]

    public struct Problem: Sendable, Codable {
        public let row: Int
        public let reason: String
    }
}

extension Reports {
    /// Records engagement read from an export, as `author` (a community manager or an admin):
    /// each row is matched to the item whose data holds its post's address (`url`; compared
    /// without the query, fragment and a final `/`) and recorded with a key of the address and
    /// the time measured, so importing a file again, or the same figures in another export,
    /// changes only what changed (an export without impressions keeps those recorded).
    ///
    /// - Throws: ``PodiumError`` `.refused` for anyone else; `.notFound` for an unknown author.
    public func importEngagement(
        _ rows: [EngagementRow], format: EngagementFormat, unreadable: [(row: Int, reason: String)], by author: String
    ) async throws -> EngagementImportSummary {
        let now = time.now()
        return try await pool.transaction(retry: .resilient) { db in
            _ = try await TaskAdmin.requireOperator(author, to: "import engagement", on: db)
            var items: [String: Int] = [:]
            for row in try await db.query(
                "select id, data ->> 'url' as url from items where data ? 'url' order by id")
            {
                // Two items with one post: the first one made.
                let address = Self.address(try row.decode(String.self, "url"))
                if items[address] == nil { items[address] = try row.decode(Int.self, "id") }
            }
            var (added, updated, unchanged) = (0, 0, 0)
            var unmatched: [EngagementImportSummary.Problem] = []
            for row in rows {
                guard let item = items[Self.address(row.url)] else {
                    unmatched.append(.init(row: row.row, reason: "no item has the post \(row.url)"))
                    continue
                }
                // One measurement of one post at one time, whichever export it came in.
                let key = "\(Self.address(row.url))@\(DataDate.format(row.measuredAt))"
                let written = try await db.query(
                    """
                    insert into engagement (item_id, messages, replies, likes, impressions, measured_at, recorded_by,
                                            recorded_at, import_key)
                    values (\(item), \(row.messages), \(row.replies), \(row.likes), \(row.impressions), \(row.measuredAt),
                            \(author), \(now), \(key))
                    on conflict (import_key) where import_key is not null do update
                       set messages = excluded.messages, replies = excluded.replies, likes = excluded.likes,
                           impressions = coalesce(excluded.impressions, engagement.impressions),
                           recorded_by = excluded.recorded_by,
                           recorded_at = excluded.recorded_at
                     where (engagement.messages, engagement.replies, engagement.likes, engagement.impressions)
                           is distinct from (excluded.messages, excluded.replies, excluded.likes,
                                             coalesce(excluded.impressions, engagement.impressions))
                    returning (xmax = 0) as inserted
                    """)
                if let first = written.first {
                    if try first.decode(Bool.self, "inserted") { added += 1 } else { updated += 1 }
                } else {
                    unchanged += 1
                }
            }
            return EngagementImportSummary(
                added: added, updated: updated, unchanged: unchanged, unmatched: unmatched,
                unreadable: unreadable.map { .init(row: $0.row, reason: $0.reason) })
        }
    }

    /// A post's address as compared: without query, fragment and a final `/`; scheme and host in
    /// lower case.
    static func address(_ url: String) -> String {
        var text = url.trimmingCharacters(in: .whitespaces)
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<cut]) }
        while text.hasSuffix("/") { text.removeLast() }
        if let range = text.range(of: "://") {
            let rest = text[range.upperBound...]
            let host = rest.prefix { $0 != "/" }
            text = text[..<range.lowerBound].lowercased() + "://" + host.lowercased() + rest.dropFirst(host.count)
        }
        return text
    }
}
