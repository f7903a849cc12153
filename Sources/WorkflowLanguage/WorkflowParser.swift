internal import Yams

/// Where each named part of a workflow was written, so semantic checks can point at it.
public struct SourceMap: Sendable {
    var locations: [String: SourceLocation] = [:]

    /// The location recorded for `key` (e.g. `stage:draft`, `transition:submit.to`), or the start.
    public subscript(_ key: String) -> SourceLocation {
        locations[key] ?? .start
    }
}

/// The result of reading a workflow file: the definition when the file's structure was sound,
/// and every finding about it.
public struct WorkflowCheck: Sendable {
    /// The definition, present when parsing succeeded (it may still have semantic errors).
    public let definition: WorkflowDefinition?
    /// Errors and warnings, root causes first (a wrong stage name before the stages it leaves
    /// unreachable), each group in file order.
    public let diagnostics: [Diagnostic]
    /// The original text.
    public let source: String

    /// True when any diagnostic is an error: such a file is never loaded.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The definition if the file has no errors.
    public var validDefinition: WorkflowDefinition? { hasErrors ? nil : definition }
}

/// Reads workflow YAML into a ``WorkflowDefinition`` and validates it.
///
/// Nothing here touches a database or the file system; `check(_:)` is a pure function of the text.
public enum WorkflowParser {
    /// The largest workflow file accepted.
    public static let maximumBytes = 1 << 20

    /// Parses and validates a workflow file's text.
    public static func check(_ text: String) -> WorkflowCheck {
        let text = withoutByteOrderMark(text)
        var reader = NodeReader()
        let root: Node
        switch compose(
            text, documents: "workflow files",
            empty: "the file is empty; a workflow needs name, title, initial, stages and transitions")
        {
        case .problem(let problem): return WorkflowCheck(definition: nil, diagnostics: [problem], source: text)
        case .tree(let node): root = node
        }
        let definition = reader.readWorkflow(root)
        var diagnostics = reader.diagnostics.sorted()
        if let definition, !reader.diagnostics.contains(where: { $0.severity == .error }) {
            // The reader found only warnings: they come first, then the meaning's findings,
            // which keep their own order (root causes first).
            diagnostics += WorkflowValidator(definition: definition, sourceMap: reader.sourceMap).validate()
        }
        return WorkflowCheck(definition: definition, diagnostics: diagnostics, source: text)
    }

    /// The YAML tree of `text` (its byte order mark already dropped), or the one finding that
    /// stops it being read: what ``precheck(_:documents:)`` refuses, a YAML error at its place,
    /// or `empty` for a file with nothing in it. Every reader of Podium's YAML files starts here.
    static func compose(_ text: String, documents: String, empty: String) -> Composed {
        if let problem = precheck(text, documents: documents) { return .problem(problem) }
        do {
            guard let root = try Yams.compose(yaml: text) else {
                return .problem(Diagnostic(.error, empty, at: .start))
            }
            return .tree(root)
        } catch let error as YamlError {
            return .problem(yamlDiagnostic(error))
        } catch {
            return .problem(Diagnostic(.error, "cannot read YAML: \(error)", at: .start))
        }
    }

    /// What ``compose(_:documents:empty:)`` read: the tree, or why there is none.
    enum Composed {
        case tree(Node)
        case problem(Diagnostic)
    }

    /// Checks that protect the YAML composer from a hostile file: its size, binary content, then
    /// the file's YAML events (anchors and aliases, nesting, node count; see ``YAMLGuard``). Every
    /// reader of YAML that Podium accepts from people runs them first; `documents` names what is
    /// read in the messages ("scenario files").
    public static func precheck(_ text: String, documents: String = "workflow files") -> Diagnostic? {
        if text.utf8.count > maximumBytes {
            return Diagnostic(
                .error, "the file is \(text.utf8.count) bytes; \(documents) may be at most \(maximumBytes)",
                at: .start)
        }
        var line = 1
        var column = 0
        for scalar in text.unicodeScalars {
            column += 1
            switch scalar {
            case "\0":
                return Diagnostic(
                    .error, "the file holds a NUL byte; is it binary?", at: SourceLocation(line: line, column: column))
            case "\u{FFFD}":
                return Diagnostic(
                    .error, "the file is not valid UTF-8 text", at: SourceLocation(line: line, column: column))
            case "\n":
                line += 1
                column = 0
            default: break
            }
        }
        return YAMLGuard.check(text, documents: documents)
    }

    /// `text` without a leading byte order mark: YAML 1.2 allows one, and editors on Windows save
    /// "UTF-8 with BOM".
    public static func withoutByteOrderMark(_ text: String) -> String {
        text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
    }

    /// Where a tab indents line `line` of `text` (or stands at `column`, where a token should
    /// start): libyaml's own words for it ("found character that cannot start any token") hide
    /// the cause.
    private static func indentingTab(onLine line: Int, orAt column: Int, in text: String) -> SourceLocation? {
        guard line >= 1,
            let content = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(line - 1).first
        else { return nil }
        let scalars = Array(content.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\t" { return SourceLocation(line: line, column: index + 1) }
            if scalar != " " && scalar != "-" { break }
        }
        if column >= 1, column <= scalars.count, scalars[column - 1] == "\t" {
            return SourceLocation(line: line, column: column)
        }
        return nil
    }

    static func yamlDiagnostic(_ error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, let text),
            .parser(let context, let problem, let mark, let text),
            .composer(let context, let problem, let mark, let text):
            if let tab = indentingTab(onLine: mark.line, orAt: mark.column, in: text) {
                return Diagnostic(.error, "tabs are not allowed for indentation; indent with spaces", at: tab)
            }
            let prefix = context.map { "\($0.text): " } ?? ""
            return Diagnostic(
                .error, "YAML syntax: \(prefix)\(problem)", at: SourceLocation(line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = Array(Set(duplicates)).sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return Diagnostic(
                .error, "duplicate key \(keys) in one mapping; each name may appear once",
                at: SourceLocation(line: context.mark.line, column: context.mark.column))
        case .reader(let problem, _, _, _):
            return Diagnostic(.error, "cannot read the file: \(problem)", at: .start)
        default:
            return Diagnostic(.error, "cannot read YAML: \(error)", at: .start)
        }
    }
}

/// Walks the YAML tree, checking shape and types, recording locations and diagnostics.
struct NodeReader {
    var diagnostics: [Diagnostic] = []
    var sourceMap = SourceMap()

    private static let topKeys = [
        "name", "title", "description", "calendar", "roles", "initial", "stages", "transitions",
    ]
    private static let stageKeys = [
        "title", "description", "assignee", "due", "reminders", "escalate", "terminal", "wait",
    ]
    private static let transitionKeys = [
        "title", "description", "from", "to", "roles", "requires", "approvals", "after",
    ]

    mutating func readWorkflow(_ root: Node) -> WorkflowDefinition? {
        guard let top = entries(root, in: "the workflow") else { return nil }
        checkKeys(top, allowed: Self.topKeys, in: "the workflow")
        for required in ["name", "title", "initial", "stages", "transitions"]
        where !top.contains(where: { $0.key == required }) {
            error("the workflow has no \"\(required)\"", at: location(root))
        }
        let name = value(top, "name").flatMap { string($0, "name") }
        if let node = value(top, "name") { sourceMap.locations["name"] = location(node) }
        let title = value(top, "title").flatMap { string($0, "title") }
        let description = value(top, "description").flatMap { string($0, "description") } ?? ""
        let initial = value(top, "initial").flatMap { string($0, "initial") }
        if let node = value(top, "initial") { sourceMap.locations["initial"] = location(node) }
        let calendar = value(top, "calendar").flatMap { string($0, "calendar") }
        if let node = value(top, "calendar") { sourceMap.locations["calendar"] = location(node) }
        let roles: [RoleDefinition] = value(top, "roles").map { readRoles($0) } ?? []
        let stages: [StageDefinition] = value(top, "stages").map { readStages($0) } ?? []
        let transitions: [TransitionDefinition] = value(top, "transitions").map { readTransitions($0) } ?? []
        if let node = value(top, "stages") { sourceMap.locations["stages"] = location(node) }
        guard let name, let title, let initial else { return nil }
        let sortedRoles = roles.sorted { $0.name < $1.name }
        let sortedStages = stages.sorted { $0.name < $1.name }
        let sortedTransitions = transitions.sorted { $0.name < $1.name }
        return WorkflowDefinition(
            name: name, title: title, description: description, roles: sortedRoles, initial: initial,
            stages: sortedStages, transitions: sortedTransitions, calendar: calendar)
    }

    private mutating func readRoles(_ node: Node) -> [RoleDefinition] {
        guard let roles = entries(node, in: "roles") else { return [] }
        return roles.compactMap { entry in
            sourceMap.locations["role:\(entry.key)"] = location(entry.keyNode)
            if case .scalar = entry.value {
                guard let text = string(entry.value, "role \"\(entry.key)\"") else { return nil }
                return RoleDefinition(name: entry.key, description: text, maxPerItem: nil)
            }
            guard let fields = entries(entry.value, in: "role \"\(entry.key)\"") else { return nil }
            checkKeys(fields, allowed: ["description", "max_per_item", "assigned_by"], in: "role \"\(entry.key)\"")
            let description = value(fields, "description").flatMap { string($0, "description") } ?? ""
            let maxPerItem = value(fields, "max_per_item").flatMap { integer($0, "max_per_item", minimum: 1) }
            if let node = value(fields, "assigned_by") {
                sourceMap.locations["role:\(entry.key).assigned_by"] = location(node)
            }
            let assignedBy = value(fields, "assigned_by").flatMap { stringList($0, "assigned_by") }
            return RoleDefinition(
                name: entry.key, description: description, maxPerItem: maxPerItem, assignedBy: assignedBy)
        }
    }

    private mutating func readStages(_ node: Node) -> [StageDefinition] {
        guard let stages = entries(node, in: "stages") else { return [] }
        return stages.compactMap { entry in
            let context = "stage \"\(entry.key)\""
            sourceMap.locations["stage:\(entry.key)"] = location(entry.keyNode)
            guard let fields = entries(entry.value, in: context) else { return nil }
            checkKeys(fields, allowed: Self.stageKeys, in: context)
            for (key, node) in fields.map({ ($0.key, $0.value) }) {
                sourceMap.locations["stage:\(entry.key).\(key)"] = location(node)
            }
            let terminal = value(fields, "terminal").flatMap { boolean($0, "terminal") } ?? false
            var waitsForever = false
            if let wait = value(fields, "wait") {
                if string(wait, "wait") == "forever" {
                    waitsForever = true
                } else {
                    error("\(context): wait only takes \"forever\"", at: location(wait))
                }
            }
            return StageDefinition(
                name: entry.key,
                title: value(fields, "title").flatMap { string($0, "title") } ?? entry.key,
                description: value(fields, "description").flatMap { string($0, "description") } ?? "",
                assignee: value(fields, "assignee").flatMap { string($0, "assignee") },
                due: value(fields, "due").flatMap { readDue($0, context: context) },
                reminders: value(fields, "reminders").map { readReminders($0, context: context) } ?? [],
                escalation: value(fields, "escalate").flatMap { readEscalation($0, context: context) },
                terminal: terminal,
                waitsForever: waitsForever)
        }
    }

    private mutating func readDue(_ node: Node, context: String) -> DueRule? {
        if case .scalar = node {
            return span(node, "\(context) due").map(DueRule.after)
        }
        guard let fields = entries(node, in: "\(context) due") else { return nil }
        checkKeys(fields, allowed: ["before", "by", "at"], in: "\(context) due")
        if let fieldNode = value(fields, "at"), fields.count == 1 {
            return string(fieldNode, "due at").map { DueRule.at(field: $0) }
        }
        guard let fieldNode = value(fields, "before"), let byNode = value(fields, "by"), fields.count == 2 else {
            error(
                "\(context): due is a duration (2d) or business days (2 business days), "
                    + "{before: DATE_FIELD, by: DURATION} or {at: DATE_FIELD}",
                at: location(node))
            return nil
        }
        guard let field = string(fieldNode, "due before"), let offset = span(byNode, "due by") else { return nil }
        return .before(field: field, by: offset)
    }

    private mutating func readReminders(_ node: Node, context: String) -> [ReminderRule] {
        guard case .sequence(let sequence) = node else {
            error(
                "\(context): reminders is a list, e.g. [{before: 1d}, {at: due}, {every: 1d, limit: 3}]",
                at: location(node))
            return []
        }
        return sequence.compactMap { item in
            guard let fields = entries(item, in: "\(context) reminder") else { return nil }
            checkKeys(fields, allowed: ["before", "at", "every", "limit"], in: "\(context) reminder")
            let kinds = fields.filter { ["before", "at", "every"].contains($0.key) }
            guard kinds.count == 1, let kind = kinds.first else {
                error("\(context): each reminder has exactly one of before, at or every", at: location(item))
                return nil
            }
            if kind.key != "every", let limit = value(fields, "limit") {
                error("\(context): limit goes with every, not with \(kind.key)", at: location(limit))
            }
            switch kind.key {
            case "before":
                return duration(kind.value, "reminder before").map(ReminderRule.before)
            case "at":
                guard string(kind.value, "reminder at") == "due" else {
                    error("\(context): a reminder's at only takes \"due\"", at: location(kind.value))
                    return nil
                }
                return .atDue
            default:
                guard let every = duration(kind.value, "reminder every") else { return nil }
                guard let limitNode = value(fields, "limit") else {
                    error("\(context): every needs a limit (how many overdue reminders at most)", at: location(item))
                    return nil
                }
                guard let limit = integer(limitNode, "limit", minimum: 1) else { return nil }
                return .every(every, limit: limit)
            }
        }
    }

    private mutating func readEscalation(_ node: Node, context: String) -> EscalationRule? {
        guard let fields = entries(node, in: "\(context) escalate") else { return nil }
        checkKeys(fields, allowed: ["after", "to"], in: "\(context) escalate")
        guard let afterNode = value(fields, "after"), let toNode = value(fields, "to") else {
            error("\(context): escalate needs after (a duration overdue) and to (a role)", at: location(node))
            return nil
        }
        guard let after = duration(afterNode, "escalate after"), let role = string(toNode, "escalate to") else {
            return nil
        }
        return EscalationRule(after: after, to: role)
    }

    private mutating func readTransitions(_ node: Node) -> [TransitionDefinition] {
        guard let transitions = entries(node, in: "transitions") else { return [] }
        return transitions.compactMap { entry in
            let context = "transition \"\(entry.key)\""
            sourceMap.locations["transition:\(entry.key)"] = location(entry.keyNode)
            guard let fields = entries(entry.value, in: context) else { return nil }
            checkKeys(fields, allowed: Self.transitionKeys, in: context)
            for field in fields { sourceMap.locations["transition:\(entry.key).\(field.key)"] = location(field.value) }
            guard let fromNode = value(fields, "from"), let toNode = value(fields, "to") else {
                error(
                    "\(context) needs from (a stage or a list of stages) and to (a stage)", at: location(entry.keyNode))
                return nil
            }
            guard let from = stringList(fromNode, "from"), let to = string(toNode, "to") else { return nil }
            let requires = value(fields, "requires").flatMap { stringList($0, "requires") } ?? []
            return TransitionDefinition(
                name: entry.key,
                title: value(fields, "title").flatMap { string($0, "title") },
                description: value(fields, "description").flatMap { string($0, "description") },
                from: from, to: to,
                roles: value(fields, "roles").flatMap { stringList($0, "roles") } ?? [],
                requiredFields: requires.filter { $0 != "comment" },
                requiresComment: requires.contains("comment"),
                approvals: value(fields, "approvals").flatMap { readApprovals($0) },
                timer: value(fields, "after").flatMap { duration($0, "\(context) after") })
        }
    }

    private mutating func readApprovals(_ node: Node) -> ApprovalRule? {
        if case .scalar(let scalar) = node, scalar.string == "all" { return .allParticipants }
        return integer(node, "approvals", minimum: 1).map(ApprovalRule.count)
    }

    // MARK: Typed access

    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
    }

    mutating func entries(_ node: Node, in context: String) -> [Entry]? {
        guard case .mapping(let mapping) = node else {
            error("\(context) must be a mapping of names to values, not \(kind(of: node))", at: location(node))
            return nil
        }
        // Keys are names, so `no:` and `"no":` are the same key although YAML reads the first as a
        // boolean and its library sees two different keys.
        var seen: [String: SourceLocation] = [:]
        return mapping.compactMap { key, value in
            guard case .scalar(let scalar) = key else {
                error("\(context): keys must be plain names", at: location(key))
                return nil
            }
            if let first = seen[scalar.string] {
                error(
                    "duplicate key \"\(scalar.string)\" in \(context); each name may appear once (first at \(first))",
                    at: location(key))
                return nil
            }
            seen[scalar.string] = location(key)
            return Entry(key: scalar.string, keyNode: key, value: value)
        }
    }

    func value(_ entries: [Entry], _ key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }

    mutating func checkKeys(_ entries: [Entry], allowed: [String], in context: String) {
        for entry in entries where !allowed.contains(entry.key) {
            error(
                "unknown key \"\(entry.key)\" in \(context)\(Suggestion.hint(for: entry.key, in: allowed))",
                at: location(entry.keyNode))
        }
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node,
            !(scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string))
        else {
            error("\(what) must be text, not \(kind(of: node))", at: location(node))
            return nil
        }
        // Escapes such as "\0" or "\e" reach here decoded: text a terminal would act on, or that
        // the database refuses (NUL), is an error at its place, not a surprise at load or display.
        let oneLine = what == "title"
        if let bad = scalar.string.unicodeScalars.first(where: { Self.isControl($0, allowingLineBreaks: !oneLine) }) {
            let code = "U+" + String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4)
            error(
                oneLine
                    ? "\(what) must be one line of text; it holds \(code)"
                    : "\(what) holds the control character \(code); write plain text",
                at: location(node))
            return nil
        }
        return scalar.string
    }

    /// C0 controls, DEL and C1 controls, and line and paragraph separators; tabs and line
    /// breaks count only when `allowingLineBreaks` is false.
    private static func isControl(_ scalar: Unicode.Scalar, allowingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: !allowingLineBreaks
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029: !allowingLineBreaks
        default: false
        }
    }

    mutating func stringList(_ node: Node, _ what: String) -> [String]? {
        if case .scalar = node { return string(node, what).map { [$0] } }
        guard case .sequence(let sequence) = node else {
            error("\(what) must be a name or a list of names", at: location(node))
            return nil
        }
        let values = sequence.compactMap { string($0, what) }
        guard values.count == sequence.count else { return nil }
        for (index, value) in values.enumerated() where values[..<index].contains(value) {
            error("\(what) lists \"\(value)\" twice", at: location(sequence[index]))
        }
        return values
    }

    private mutating func integer(_ node: Node, _ what: String, minimum: Int) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text), value >= minimum, value <= 1_000 else {
            error("\(what) must be a whole number from \(minimum) to 1000, not \"\(text)\"", at: location(node))
            return nil
        }
        return value
    }

    private mutating func boolean(_ node: Node, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            error("\(what) must be true or false, not \"\(text)\"", at: location(node))
            return nil
        }
    }

    private mutating func duration(_ node: Node, _ what: String) -> WorkflowDuration? {
        guard let text = string(node, what) else { return nil }
        do {
            return try WorkflowDuration(parsing: text)
        } catch {
            self.error("\(what): \(error.message)", at: location(node))
            return nil
        }
    }

    private mutating func span(_ node: Node, _ what: String) -> DueSpan? {
        guard let text = string(node, what) else { return nil }
        do {
            return try DueSpan(parsing: text)
        } catch {
            self.error("\(what): \(error.message)", at: location(node))
            return nil
        }
    }

    func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): scalar.string.isEmpty ? "nothing" : "the text \"\(scalar.string.prefix(40))\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    func location(_ node: Node) -> SourceLocation {
        node.mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? .start
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(.error, message, at: location))
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
