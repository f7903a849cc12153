/// Semantic checks on a parsed definition: references, reachability, deadlines, races.
struct WorkflowValidator {
    let definition: WorkflowDefinition
    let sourceMap: SourceMap
    private var findings: [Diagnostic] = []
    /// Lookups built once, so checks stay linear in the size of the workflow.
    private let stagesByName: [String: StageDefinition]
    private let roleNames: Set<String>
    private let outgoing: [String: [TransitionDefinition]]

    /// The actor that fires timers; not a role anyone may declare.
    static let systemActor = "system"

    init(definition: WorkflowDefinition, sourceMap: SourceMap) {
        self.definition = definition
        self.sourceMap = sourceMap
        stagesByName = Dictionary(definition.stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        roleNames = Set(definition.roles.map(\.name))
        var outgoing: [String: [TransitionDefinition]] = [:]
        for transition in definition.transitions {
            for stage in Set(transition.from) { outgoing[stage, default: []].append(transition) }
        }
        self.outgoing = outgoing
    }

    /// Every finding, root causes first: each group in file order, and the reachability
    /// findings, which a wrong stage name or a missing transition causes, after all the others
    /// (`finish goes to unknown stage "dne"` comes before `stage "done" cannot be reached`).
    func validate() -> [Diagnostic] {
        var copy = self
        copy.checkNames()
        copy.checkInitialStage()
        copy.checkStages()
        copy.checkCalendar()
        copy.checkTransitions()
        let causes = copy.findings.sorted()
        copy.findings = []
        copy.checkReachability()
        return causes + copy.findings.sorted()
    }

    private var stageNames: [String] { definition.stages.map(\.name) }

    private func stageNamed(_ name: String) -> StageDefinition? { stagesByName[name] }
    private func transitions(from stage: String) -> [TransitionDefinition] { outgoing[stage] ?? [] }

    private mutating func checkNames() {
        if !Self.isKebabCase(definition.name) {
            error("name \"\(definition.name)\" must be kebab-case, e.g. exec-post", at: "name")
        }
        for role in definition.roles {
            checkIdentifier(role.name, what: "role", at: "role:\(role.name)")
            if role.name == Self.systemActor {
                error("\"system\" is the actor that fires timers and cannot be a role", at: "role:\(role.name)")
            }
        }
        for stage in definition.stages { checkIdentifier(stage.name, what: "stage", at: "stage:\(stage.name)") }
        for transition in definition.transitions {
            checkIdentifier(transition.name, what: "transition", at: "transition:\(transition.name)")
            for field in transition.requiredFields where !isIdentifier(field) {
                error(
                    "required field \"\(field)\" must be a snake_case name",
                    at: "transition:\(transition.name).requires")
            }
        }
        for role in definition.roles {
            for assigner in role.assignedBy ?? [] { checkRole(assigner, at: "role:\(role.name).assigned_by") }
        }
        if definition.roles.isEmpty {
            error("the workflow declares no roles; name who takes part under roles:", at: "name")
        }
    }

    private mutating func checkInitialStage() {
        guard stageNamed(definition.initial) == nil else { return }
        error(
            "initial stage \"\(definition.initial)\" is not a stage\(Suggestion.hint(for: definition.initial, in: stageNames))",
            at: "initial")
    }

    private mutating func checkStages() {
        if !definition.stages.contains(where: \.terminal) {
            error("no stage is terminal: items could never finish; mark the end with terminal: true", at: "stages")
        }
        for stage in definition.stages {
            let at = "stage:\(stage.name)"
            if let assignee = stage.assignee { checkRole(assignee, at: "\(at).assignee") }
            if let escalation = stage.escalation { checkRole(escalation.to, at: "\(at).escalate") }
            if stage.terminal {
                if stage.due != nil || !stage.reminders.isEmpty || stage.escalation != nil {
                    warning(
                        "terminal stage \"\(stage.name)\" has a deadline, reminders or escalation that can never apply",
                        at: at)
                }
                continue
            }
            let hasTimer = transitions(from: stage.name).contains { $0.timer != nil }
            if stage.due == nil && !hasTimer && !stage.waitsForever {
                error(
                    "stage \"\(stage.name)\" can wait forever in silence: give it a due time, a timer transition, "
                        + "or say wait: forever",
                    at: at)
            }
            if stage.waitsForever && stage.due != nil {
                warning("stage \"\(stage.name)\" says wait: forever but also has a due time", at: "\(at).wait")
            }
            if stage.due == nil {
                if !stage.reminders.isEmpty {
                    error(
                        "stage \"\(stage.name)\" has reminders but no due time to remind about", at: "\(at).reminders")
                }
                if stage.escalation != nil {
                    error("stage \"\(stage.name)\" escalates overdue work but has no due time", at: "\(at).escalate")
                }
            }
            if stage.assignee == nil && (!stage.reminders.isEmpty) {
                error("stage \"\(stage.name)\" has reminders but no assignee to send them to", at: "\(at).reminders")
            }
            if case .after(.elapsed(let due)) = stage.due {
                for case .before(let lead) in stage.reminders where lead >= due {
                    warning(
                        "stage \"\(stage.name)\": a reminder \(lead) before a due time of \(due) fires as soon as the stage is entered",
                        at: "\(at).reminders")
                }
            }
            checkTimerRace(stage)
            checkDateField(stage)
        }
    }

    /// Business days are counted in a named calendar: a workflow whose due rules count them
    /// names one, and a calendar nothing counts in is a slip worth a warning.
    private mutating func checkCalendar() {
        if let calendar = definition.calendar, !Self.isKebabCase(calendar) {
            error("calendar \"\(calendar)\" must be kebab-case, e.g. uk-office", at: "calendar")
        }
        let counting = definition.stages.filter { !$0.terminal && $0.due?.countsBusinessDays == true }
        if definition.calendar == nil {
            for stage in counting {
                error(
                    "stage \"\(stage.name)\" counts business days but the workflow names no calendar to count them in; "
                        + "add calendar: NAME at the top (a calendar loaded with podium calendar load)",
                    at: "stage:\(stage.name).due")
            }
        } else if counting.isEmpty {
            warning(
                "calendar \"\(definition.calendar ?? "")\" is named but no due rule counts business days in it",
                at: "calendar")
        }
    }

    /// A due time that hangs on a date needs that date on every way into the stage: each
    /// transition into it requires the field, or comes from a stage the field is set on by every
    /// path from the initial stage (``stagesSetting(_:)``). Skipped while a transition names an
    /// unknown stage: the paths are not known, and that error is the one to fix first.
    private mutating func checkDateField(_ stage: StageDefinition) {
        guard let field = stage.due?.field else { return }
        if !isIdentifier(field) {
            error(
                "stage \"\(stage.name)\": due date field \"\(field)\" must be a snake_case name",
                at: "stage:\(stage.name).due")
        }
        guard definition.transitions.allSatisfy({ ([$0.to] + $0.from).allSatisfy(stageNames.contains) }) else { return }
        let set = stagesSetting(field)
        for transition in definition.transitions where transition.to == stage.name {
            guard !transition.requiredFields.contains(field), !transition.from.allSatisfy(set.contains) else {
                continue
            }
            warning(
                "stage \"\(stage.name)\" is due relative to \(field), but \(transition.name) enters it without "
                    + "requiring \(field), and not every way to \(transition.from.joined(separator: " or ")) sets it; "
                    + "add it to requires",
                at: "transition:\(transition.name)")
        }
    }

    /// The stages where `field` has been set whichever way the item came: every transition into
    /// the stage requires it or leaves a stage where it is set (a data field, once set, stays).
    /// The initial stage is not one (an item starts without it); computed as the greatest such
    /// set, by striking stages out until none changes.
    private func stagesSetting(_ field: String) -> Set<String> {
        var set = Set(stageNames).subtracting([definition.initial])
        var changed = true
        while changed {
            changed = false
            for stage in set {
                let ways = definition.transitions.filter { $0.to == stage }
                let always =
                    !ways.isEmpty
                    && ways.allSatisfy { way in
                        way.requiredFields.contains(field) || way.from.allSatisfy(set.contains)
                    }
                if !always {
                    set.remove(stage)
                    changed = true
                }
            }
        }
        return set
    }

    /// A timer that fires before (or when) the escalation would makes the escalation dead code.
    private mutating func checkTimerRace(_ stage: StageDefinition) {
        guard let escalation = stage.escalation, case .after(.elapsed(let due)) = stage.due else { return }
        let escalatesAt = due + escalation.after
        for transition in transitions(from: stage.name) {
            guard let timer = transition.timer, timer <= escalatesAt else { continue }
            warning(
                "stage \"\(stage.name)\": timer \"\(transition.name)\" (after \(timer)) fires before or with the escalation "
                    + "(due \(due) + \(escalation.after)); the escalation may never happen",
                at: "stage:\(stage.name).escalate")
        }
    }

    private mutating func checkTransitions() {
        for transition in definition.transitions {
            let at = "transition:\(transition.name)"
            for stage in transition.from where stageNamed(stage) == nil {
                error(
                    "\(transition.name) leaves from unknown stage \"\(stage)\"\(Suggestion.hint(for: stage, in: stageNames))",
                    at: "\(at).from")
            }
            for stage in transition.from where stageNamed(stage)?.terminal == true {
                error(
                    "\(transition.name) leaves terminal stage \"\(stage)\"; terminal stages are final", at: "\(at).from"
                )
            }
            if stageNamed(transition.to) == nil {
                error(
                    "\(transition.name) goes to unknown stage \"\(transition.to)\"\(Suggestion.hint(for: transition.to, in: stageNames))",
                    at: "\(at).to")
            }
            for role in transition.roles {
                if role == Self.systemActor {
                    error(
                        "\(transition.name): leave \"system\" out of roles; an after: timer is fired by the system",
                        at: "\(at).roles")
                } else {
                    checkRole(role, at: "\(at).roles")
                }
            }
            if transition.roles.isEmpty && transition.timer == nil {
                error("nobody may fire \(transition.name): give it roles, or an after: timer", at: at)
            }
            if transition.timer != nil {
                if transition.requiresComment || !transition.requiredFields.isEmpty {
                    error(
                        "timer \(transition.name) requires a comment or data that the system cannot supply",
                        at: "\(at).requires")
                }
                if transition.approvals != nil {
                    error("timer \(transition.name) cannot wait for approvals", at: "\(at).approvals")
                }
            }
            checkApprovals(transition)
        }
        let timersByStage = Dictionary(
            grouping: definition.transitions.filter { $0.timer != nil }.flatMap { t in t.from.map { ($0, t) } }, by: \.0
        )
        for (stage, timers) in timersByStage where timers.count > 1 {
            let names = timers.map(\.1.name).sorted().joined(separator: ", ")
            warning(
                "stage \"\(stage)\" has several timers (\(names)); only the earliest ever fires", at: "stage:\(stage)")
        }
    }

    private mutating func checkApprovals(_ transition: TransitionDefinition) {
        guard case .count(let needed) = transition.approvals else { return }
        let seats = transition.roles.map { definition.role($0)?.maxPerItem }
        guard !seats.isEmpty, seats.allSatisfy({ $0 != nil }) else { return }
        let supply = seats.compactMap { $0 }.reduce(0, +)
        if needed > supply {
            error(
                "\(transition.name) needs \(needed) approvals but its roles (\(transition.roles.joined(separator: ", "))) "
                    + "hold at most \(supply) people on an item; it could never fire",
                at: "transition:\(transition.name).approvals")
        }
    }

    private mutating func checkReachability() {
        guard stageNamed(definition.initial) != nil else { return }
        var reached: Set<String> = []
        var queue = [definition.initial]
        while let next = queue.popLast() {
            guard reached.insert(next).inserted else { continue }
            queue += transitions(from: next).map(\.to).filter { stageNamed($0) != nil }
        }
        for stage in definition.stages where !reached.contains(stage.name) {
            error(
                "stage \"\(stage.name)\" cannot be reached from the initial stage \"\(definition.initial)\"",
                at: "stage:\(stage.name)")
        }
        // Which stages can reach a terminal one: walk the transitions backwards from the terminals.
        var finishing = Set(definition.stages.filter(\.terminal).map(\.name))
        var changed = true
        while changed {
            changed = false
            for transition in definition.transitions where finishing.contains(transition.to) {
                for stage in transition.from where finishing.insert(stage).inserted { changed = true }
            }
        }
        for stage in definition.stages where reached.contains(stage.name) && !finishing.contains(stage.name) {
            error(
                "no terminal stage can be reached from stage \"\(stage.name)\"; items there would be stuck",
                at: "stage:\(stage.name)")
        }
    }

    private mutating func checkRole(_ role: String, at key: String) {
        guard !roleNames.contains(role) else { return }
        error("unknown role \"\(role)\"\(Suggestion.hint(for: role, in: roleNames.sorted()))", at: key)
    }

    private mutating func checkIdentifier(_ name: String, what: String, at key: String) {
        if !isIdentifier(name) { error("\(what) name \"\(name)\" must be snake_case (a-z, 0-9, _)", at: key) }
    }

    private func isIdentifier(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLowercase, name.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
    }

    /// Lowercase words of letters and digits joined by single hyphens, starting with a letter,
    /// at most 63 characters: workflow and calendar names (`exec-post`, `head-office`).
    static func isKebabCase(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLowercase, name.count <= 63, !name.hasSuffix("-"),
            !name.contains("--")
        else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    private mutating func error(_ message: String, at key: String) {
        findings.append(Diagnostic(.error, message, at: sourceMap[key]))
    }

    private mutating func warning(_ message: String, at key: String) {
        findings.append(Diagnostic(.warning, message, at: sourceMap[key]))
    }
}
