public import Foundation
public import WorkflowLanguage
internal import Yams

/// A scenario file: a story told to a workflow on a virtual clock, with expectations.
///
///     scenario: A post that needs one round of changes
///     workflow: ../exec-post.yaml
///     participants: {executive: alice, coach: bob}
///     steps:
///       - fire: start_draft
///         as: alice
///       - wait: 25h
///       - expect: {stage: draft, reminders_sent: 1}
public struct Scenario: Sendable {
    /// One thing that happens, with the line it was written on.
    public struct Step: Sendable {
        public enum Action: Sendable {
            case fire(FireSpec)
            case wait(WorkflowDuration)
            case expect([String: ExpectedValue])
            case expectRefusal(FireSpec, message: String?)
            /// `who` is away from now, for `duration` or until `back`, with `delegate` acting
            /// for them (or nobody).
            case away(who: String, delegate: String?, duration: WorkflowDuration?)
            /// `who` is back: their absence ends now.
            case back(String)
        }

        public let action: Action
        public let line: Int
    }

    /// A transition to fire in a step.
    public struct FireSpec: Sendable {
        public let transition: String
        public let actor: String
        public let comment: String?
        public let data: [String: String]
    }

    /// An expected value: text, a number, a flag, a list or a mapping.
    public indirect enum ExpectedValue: Sendable, Equatable {
        case text(String)
        case list([String])
        case mapping([String: String])

        /// What an expectation may be given (``Runner/expectations``).
        enum Kind: Sendable {
            case text, flag, count, list, mapping
        }

        /// Whether this value is of `kind`: any text is text; a flag is `true` or `false`; a
        /// count is a whole number from 0.
        func isOf(_ kind: Kind) -> Bool {
            switch (self, kind) {
            case (.text, .text), (.list, .list), (.mapping, .mapping): true
            case (.text(let text), .flag): text == "true" || text == "false"
            case (.text(let text), .count): Int(text).map { $0 >= 0 } ?? false
            default: false
            }
        }
    }

    public let title: String
    public let workflowPath: String
    /// The calendar file business days are counted in, relative to the scenario file; nil when
    /// the workflow counts none.
    public let calendarPath: String?
    public let start: Date
    public let globalRoles: [String: Set<String>]
    public let participants: [Participant]
    public let createdBy: String
    public let data: [String: String]
    public let steps: [Step]
}

/// A scenario file that could not be read.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public let line: Int
    public let message: String
    public var description: String { "line \(line): \(message)" }
}

extension Scenario {
    /// The default start: Monday 5 January 2026, 09:00 UTC.
    public static let defaultStart = Date(timeIntervalSince1970: 1_767_603_600)

    /// Parses a scenario file's text.
    public static func parse(_ text: String) throws(ScenarioError) -> Scenario {
        let text = WorkflowParser.withoutByteOrderMark(text)
        // Aliases expand as the tree is built: a dozen lines of them took 9 s (found by
        // scripts/fuzz), a few more would take gigabytes. The guard reads the events first.
        if let problem = WorkflowParser.precheck(text, documents: "scenario files") {
            throw ScenarioError(line: problem.location.line, message: problem.message)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ScenarioError(line: 1, message: "YAML: \(error)")
        }
        guard let root, case .mapping(let top) = root else {
            throw ScenarioError(
                line: 1, message: "a scenario is a mapping with scenario, workflow, participants and steps")
        }
        let allowed = [
            "scenario", "workflow", "calendar", "start", "actors", "participants", "created_by", "data", "steps",
        ]
        for key in top.keys where !allowed.contains(key.string ?? "") {
            throw ScenarioError(
                line: line(key),
                message: "unknown key \"\(key.string ?? "?")\"; expected one of \(allowed.joined(separator: ", "))")
        }
        guard let workflow = top["workflow"]?.string else {
            throw ScenarioError(
                line: line(root), message: "workflow: the path of the workflow file, relative to this file")
        }
        var start = defaultStart
        if let node = top["start"] {
            guard let text = node.string, let date = StageSchedule.parseDate(text) else {
                throw ScenarioError(
                    line: line(node), message: "start must be \(DataDate.acceptedForms)")
            }
            start = date
        }
        var globalRoles: [String: Set<String>] = [:]
        for (key, value) in top["actors"]?.mapping ?? [:] {
            globalRoles[key.string ?? ""] = Set(try names(value))
        }
        var participants: [Participant] = []
        for (key, value) in top["participants"]?.mapping ?? [:] {
            for handle in try names(value) { participants.append(Participant(role: key.string ?? "", actor: handle)) }
        }
        let createdBy = top["created_by"]?.string ?? participants.first?.actor ?? "system"
        guard case .sequence(let stepNodes)? = top["steps"] else {
            throw ScenarioError(
                line: line(root), message: "steps: a list of fire, wait, expect and expect_refusal steps")
        }
        return Scenario(
            title: top["scenario"]?.string ?? "(untitled)", workflowPath: workflow,
            calendarPath: top["calendar"]?.string, start: start,
            globalRoles: globalRoles, participants: participants, createdBy: createdBy,
            data: try stringMap(top["data"]), steps: try stepNodes.map(parseStep))
    }

    private static func parseStep(_ node: Node) throws(ScenarioError) -> Step {
        guard case .mapping(let fields) = node else {
            throw ScenarioError(line: line(node), message: "a step is a mapping such as {fire: submit, as: alice}")
        }
        let at = line(node)
        if let transition = fields["fire"]?.string {
            return Step(action: .fire(try fireSpec(transition, fields, at: at)), line: at)
        }
        if let wait = fields["wait"] {
            do {
                return Step(action: .wait(try WorkflowDuration(parsing: wait.string ?? "")), line: at)
            } catch {
                throw ScenarioError(line: at, message: "wait: \(error.message)")
            }
        }
        if let expect = fields["expect"] {
            guard case .mapping(let expectations) = expect else {
                throw ScenarioError(line: at, message: "expect takes a mapping such as {stage: draft}")
            }
            var values: [String: ExpectedValue] = [:]
            for (key, value) in expectations {
                let name = key.string ?? ""
                guard let takes = Runner.expectations[name] else {
                    throw ScenarioError(
                        line: line(key),
                        message:
                            "unknown expectation \"\(name)\"; use \(Runner.expectations.keys.sorted().joined(separator: ", "))"
                    )
                }
                let given = try expected(value)
                guard takes.takes.contains(where: given.isOf) else {
                    throw ScenarioError(line: line(value), message: "expectation \(name) takes \(takes.says)")
                }
                values[name] = given
            }
            return Step(action: .expect(values), line: at)
        }
        if let who = fields["away"]?.string {
            for key in fields.keys.compactMap(\.string) where !["away", "delegate", "for"].contains(key) {
                throw ScenarioError(
                    line: at, message: "away takes {away: HANDLE, delegate: HANDLE, for: DURATION}, not \(key)")
            }
            var duration: WorkflowDuration? = nil
            if let text = fields["for"]?.string {
                do { duration = try WorkflowDuration(parsing: text) } catch {
                    throw ScenarioError(line: at, message: "away for: \(error.message)")
                }
            }
            return Step(action: .away(who: who, delegate: fields["delegate"]?.string, duration: duration), line: at)
        }
        if let who = fields["back"]?.string {
            return Step(action: .back(who), line: at)
        }
        if let refusal = fields["expect_refusal"] {
            guard case .mapping(let spec) = refusal, let transition = spec["fire"]?.string else {
                throw ScenarioError(line: at, message: "expect_refusal takes {fire: T, as: HANDLE, message: TEXT}")
            }
            return Step(
                action: .expectRefusal(try fireSpec(transition, spec, at: at), message: spec["message"]?.string),
                line: at)
        }
        throw ScenarioError(line: at, message: "a step is fire, wait, expect, expect_refusal, away or back")
    }

    private static func fireSpec(_ transition: String, _ fields: Node.Mapping, at: Int) throws(ScenarioError)
        -> FireSpec
    {
        guard let actor = fields["as"]?.string else {
            throw ScenarioError(line: at, message: "fire \(transition) needs as: HANDLE")
        }
        return FireSpec(
            transition: transition, actor: actor, comment: fields["comment"]?.string, data: try stringMap(fields["set"])
        )
    }

    private static func expected(_ node: Node) throws(ScenarioError) -> ExpectedValue {
        switch node {
        case .scalar(let scalar): return .text(scalar.string)
        case .sequence(let sequence): return .list(sequence.map { $0.string ?? "" })
        case .mapping: return .mapping(try stringMap(node))
        case .alias: throw ScenarioError(line: line(node), message: "aliases are not supported")
        }
    }

    private static func names(_ node: Node) throws(ScenarioError) -> [String] {
        switch node {
        case .scalar(let scalar): return [scalar.string]
        case .sequence(let sequence): return sequence.map { $0.string ?? "" }
        default: throw ScenarioError(line: line(node), message: "expected a name or a list of names")
        }
    }

    private static func stringMap(_ node: Node?) throws(ScenarioError) -> [String: String] {
        guard let node else { return [:] }
        guard case .mapping(let mapping) = node else {
            throw ScenarioError(line: line(node), message: "expected a mapping of names to values")
        }
        var result: [String: String] = [:]
        for (key, value) in mapping { result[key.string ?? ""] = value.string ?? "" }
        return result
    }

    private static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }
}
