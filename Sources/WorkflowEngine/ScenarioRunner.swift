import Foundation
public import WorkflowLanguage

/// What a scenario run found.
public struct ScenarioResult: Sendable {
    /// A step whose expectation did not hold.
    public struct Failure: Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public let title: String
    public let steps: Int
    public let failures: [Failure]
    /// The item as the run left it, and the tasks still to run: what a store that played the
    /// same steps must agree with (the contract test holds PostgreSQL to it).
    public let item: ItemState
    public let pending: [PlannedTask]
    public var passed: Bool { failures.isEmpty }
}

extension Scenario {
    /// The expectations a step may check.
    typealias Runner = ScenarioRunner

    /// Runs the scenario against `definition` on a virtual clock: no database, no waiting.
    /// `calendar` is the one the workflow counts business days in (the scenario's `calendar:`
    /// file), nil when it counts none.
    public func run(against definition: WorkflowDefinition, calendar: BusinessCalendar? = nil) -> ScenarioResult {
        var runner = ScenarioRunner(scenario: self, definition: definition, calendar: calendar)
        return runner.run()
    }
}

/// Plays a scenario through the same decision and scheduling code the engine uses.
struct ScenarioRunner {
    /// Each expectation, the kinds of value it takes, and how to say what it takes.
    static let expectations: [String: (takes: Set<Scenario.ExpectedValue.Kind>, says: String)] = [
        "stage": ([.text], "a stage name, e.g. draft"),
        "closed": ([.flag], "true or false"),
        "reminders_sent": ([.count, .list], "a count, or a list of reminder labels, e.g. [at due]"),
        "escalated_to": ([.text], "a role, or none"),
        "approvals": ([.mapping], "a mapping of transitions to counts, e.g. {approve: 1}"),
        "data": ([.mapping], "a mapping of fields to values, e.g. {url: https://social.example/1}"),
        "due": ([.text], "a date (RFC 3339), or none"),
        "history": ([.list], "a list of transitions, e.g. [submit, approve]"),
        "timers_fired": ([.list], "a list of transition names, e.g. [close_dialogue]"),
        "last_fired_by": ([.text], "who fired the last transition, e.g. alice, or sam for dana"),
    ]

    /// A notification the virtual worker sent.
    struct Sent {
        let kind: PlannedTask.Kind
        let label: String
        let role: String?
        let visit: Int
    }

    let scenario: Scenario
    let decider: TransitionDecider
    let calendar: BusinessCalendar?
    var now: Date
    var item: ItemState
    var visit = 1
    var pending: [PlannedTask]
    var sent: [Sent] = []
    var history: [String] = []
    var timersFired: [String] = []
    var lastFiredBy = ""
    /// Who is away, until when (nil: until `back`), and who stands in for them.
    var absences: [String: (until: Date?, delegate: String?)] = [:]
    var failures: [ScenarioResult.Failure] = []

    init(scenario: Scenario, definition: WorkflowDefinition, calendar: BusinessCalendar?) {
        self.scenario = scenario
        self.calendar = calendar
        decider = TransitionDecider(definition: definition)
        now = scenario.start
        item = ItemState(
            id: 1, stage: definition.initial, data: scenario.data, participants: scenario.participants,
            stageAuthor: scenario.createdBy, stageEnteredAt: scenario.start)
        pending =
            definition.stage(definition.initial).map {
                StageSchedule.tasks(
                    for: $0, in: definition, enteredAt: scenario.start, data: scenario.data,
                    calendar: calendar)
            } ?? []
    }

    /// Runs the steps in order and stops at the first that fails: what follows a broken step
    /// would fail for its sake, burying the cause.
    mutating func run() -> ScenarioResult {
        for (index, step) in scenario.steps.enumerated() {
            let failed = failures.count
            run(step)
            guard failures.count == failed else {
                let rest = scenario.steps.count - index - 1
                if rest > 0, let last = failures.popLast() {
                    failures.append(
                        ScenarioResult.Failure(
                            line: last.line,
                            message: "\(last.message) (the scenario stops here; \(rest) later step(s) not run)"))
                }
                break
            }
        }
        return ScenarioResult(
            title: scenario.title, steps: scenario.steps.count, failures: failures, item: item, pending: pending)
    }

    private mutating func run(_ step: Scenario.Step) {
        switch step.action {
        case .fire(let spec):
            if let stranger = stranger(spec.actor) {
                fail(step.line, stranger)
            } else if case .refused(let refusal) = fire(spec) {
                fail(step.line, "fire \(spec.transition) as \(spec.actor) was refused: \(refusal.message)")
            }
        case .away(let who, let delegate, let duration):
            for handle in [who] + (delegate.map { [$0] } ?? []) {
                if let stranger = stranger(handle) { return fail(step.line, stranger) }
            }
            if delegate == who { return fail(step.line, "\(who) cannot stand in for themselves") }
            absences[who] = (duration.map { now.addingTimeInterval(TimeInterval($0.seconds)) }, delegate)
        case .back(let who):
            absences[who] = nil
        case .wait(let duration):
            advance(to: now.addingTimeInterval(TimeInterval(duration.seconds)), line: step.line)
        case .expect(let expectations):
            for (key, value) in expectations.sorted(by: { $0.key < $1.key }) {
                if let problem = check(key, value) { fail(step.line, problem) }
            }
        case .expectRefusal(let spec, let message):
            // A refusal of a mistyped name would prove nothing.
            if let stranger = stranger(spec.actor) { return fail(step.line, stranger) }
            switch fire(spec) {
            case .refused(let refusal):
                if let message, !refusal.message.contains(message) {
                    fail(step.line, "refused as expected, but with \"\(refusal.message)\", not \"\(message)\"")
                }
            case .approvalRecorded:
                fail(
                    step.line, "expected \(spec.transition) as \(spec.actor) to be refused; it recorded an approval"
                )
            case .move(let move):
                fail(
                    step.line, "expected \(spec.transition) as \(spec.actor) to be refused; it moved to \(move.to)")
            }
        }
    }

    /// Why `handle` is nobody in this scenario (a typo, most often), or nil when it is one of its
    /// people: a participant, the creator, or a holder of a global role.
    private func stranger(_ handle: String) -> String? {
        let people = Set(scenario.participants.map(\.actor) + [scenario.createdBy] + scenario.globalRoles.keys)
        guard !people.contains(handle) else { return nil }
        let hint = Suggestion.closest(to: handle, in: people.sorted()).map { "; did you mean \($0)?" } ?? ""
        return "\(handle) is not one of the scenario's people (\(people.sorted().joined(separator: ", ")))\(hint) "
            + "(someone who takes no part is listed under actors: with no roles)"
    }

    private mutating func fire(_ spec: Scenario.FireSpec) -> FireDecision {
        let now = now
        let standsInFor = absences.filter {
            $0.value.delegate == spec.actor && ($0.value.until.map { now < $0 } ?? true)
        }
        .keys.map { ActorIdentity(handle: $0, globalRoles: scenario.globalRoles[$0] ?? []) }
        let actor = ActorIdentity(
            handle: spec.actor, globalRoles: scenario.globalRoles[spec.actor] ?? [], standsInFor: standsInFor)
        let decision = decider.decide(
            FireRequest(transition: spec.transition, actor: actor, comment: spec.comment, dataChanges: spec.data),
            for: item)
        apply(decision, by: spec.actor)
        return decision
    }

    private mutating func apply(_ decision: FireDecision, by actor: String) {
        switch decision {
        case .refused: break
        case .approvalRecorded(let progress):
            if !progress.wasAlreadyCounted, let principal = progress.approvers.last {
                item.approvals.append(
                    Approval(
                        transition: progress.transition, actor: principal,
                        delegate: progress.onBehalfOf == nil ? nil : actor))
            }
        case .move(let move):
            history.append(move.transition)
            lastFiredBy = move.onBehalfOf.map { "\(move.actor) for \($0)" } ?? move.actor
            item.apply(move, at: now)
            visit += 1
            pending =
                decider.definition.stage(move.to).map {
                    StageSchedule.tasks(
                        for: $0, in: decider.definition, enteredAt: now, data: move.data, calendar: calendar)
                } ?? []
        }
    }

    /// Runs every task due up to `target`, in time order, as a worker would.
    private mutating func advance(to target: Date, line: Int) {
        while let next = pending.first, next.runAt <= target {
            pending.removeFirst()
            now = max(now, next.runAt)
            switch next.kind {
            case .digest:
                break  // stages plan no digests
            case .reminder, .escalation:
                sent.append(Sent(kind: next.kind, label: next.label, role: next.recipientRole, visit: visit))
            case .timer:
                let decision = decider.decide(
                    FireRequest(transition: next.transition ?? "", actor: .system), for: item)
                if case .refused(let refusal) = decision {
                    fail(line, "timer \(next.transition ?? "?") could not fire: \(refusal.message)")
                } else {
                    timersFired.append(next.transition ?? "")
                }
                apply(decision, by: ActorIdentity.system.handle)
            }
        }
        now = target
    }

    private func check(_ key: String, _ value: Scenario.ExpectedValue) -> String? {
        let current = sent.filter { $0.visit == visit }
        switch (key, value) {
        case ("stage", .text(let stage)):
            return item.stage == stage ? nil : "expected stage \(stage), the item is in \(item.stage)"
        case ("closed", .text(let flag)):
            return String(item.isClosed) == flag ? nil : "expected closed: \(flag), it is \(item.isClosed)"
        case ("reminders_sent", .text(let count)):
            let reminders = current.filter { $0.kind == .reminder }
            return String(reminders.count) == count
                ? nil
                : "expected \(count) reminders in \(item.stage), \(reminders.count) were sent (\(reminders.map(\.label)))"
        case ("reminders_sent", .list(let labels)):
            let reminders = current.filter { $0.kind == .reminder }.map(\.label)
            return reminders == labels ? nil : "expected reminders \(labels) in \(item.stage), sent \(reminders)"
        case ("escalated_to", .text(let role)):
            let escalations = current.filter { $0.kind == .escalation }.compactMap(\.role)
            if role == "none" {
                return escalations.isEmpty ? nil : "expected no escalation, escalated to \(escalations)"
            }
            return escalations.contains(role)
                ? nil : "expected an escalation to \(role) in \(item.stage), got \(escalations)"
        case ("approvals", .mapping(let counts)):
            for (transition, count) in counts {
                let actual = item.approvals.filter { $0.transition == transition }.count
                if String(actual) != count { return "expected \(count) approvals for \(transition), have \(actual)" }
            }
            return nil
        case ("data", .mapping(let fields)):
            for (field, expected) in fields where item.data[field] != expected {
                return "expected data \(field) = \(expected), it is \(item.data[field] ?? "unset")"
            }
            return nil
        case ("due", .text(let expected)):
            let due = decider.definition.stage(item.stage).flatMap {
                StageSchedule.dueTime(
                    of: $0, enteredAt: item.stageEnteredAt, data: item.data, calendar: calendar)
            }
            if expected == "none" { return due.map { "expected no due time, it is \(DataDate.format($0))" } }
            guard let wanted = StageSchedule.parseDate(expected) else {
                return "due: \(expected) is not a date; write \(DataDate.acceptedForms)"
            }
            return due == wanted ? nil : "expected due \(expected), it is \(due.map(DataDate.format) ?? "none")"
        case ("history", .list(let transitions)):
            return history == transitions ? nil : "expected history \(transitions), it is \(history)"
        case ("last_fired_by", .text(let expected)):
            return lastFiredBy == expected
                ? nil : "expected the last transition fired by \(expected), it was \(lastFiredBy)"
        case ("timers_fired", .list(let timers)):
            return timersFired == timers ? nil : "expected timers \(timers) to have fired, fired \(timersFired)"
        default:
            // The parser lets through only the kinds each expectation takes (`expectations`).
            return "expectation \(key) takes \(Self.expectations[key]?.says ?? "nothing")"
        }
    }

    private mutating func fail(_ line: Int, _ message: String) {
        failures.append(ScenarioResult.Failure(line: line, message: message))
    }
}
