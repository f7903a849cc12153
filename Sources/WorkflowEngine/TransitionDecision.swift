public import WorkflowLanguage

/// Why a transition was refused: what is wrong and what would work.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case closed, unknownTransition, wrongStage, notPermitted, timerOnly, missingRequirements, ownWork
        /// A value that must be a date is not one (exit 2 on the command line: bad input, not a rule).
        case invalidData
    }

    public let reason: Reason
    public let message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}

/// The outcome of a fire request, decided without touching any storage.
public enum FireDecision: Sendable, Equatable {
    /// Refused; nothing changes.
    case refused(Refusal)
    /// An approval was recorded (or had been already); the transition waits for more.
    case approvalRecorded(ApprovalProgress)
    /// The item moves: append history, update the item, replace the stage's tasks.
    case move(Move)
}

/// Approvals so far for a transition during this visit of the stage.
public struct ApprovalProgress: Sendable, Equatable {
    public let transition: String
    public let role: String
    public let approvers: [String]
    public let needed: Int
    /// True when this actor had already approved: counted once.
    public let wasAlreadyCounted: Bool
}

/// An item leaving one stage for another.
public struct Move: Sendable, Equatable {
    public let transition: String
    public let from: String
    public let to: String
    /// The role the actor fired it in (`system` for timers).
    public let role: String
    public let actor: String
    public let comment: String?
    /// The fields this move sets, with their new values.
    public let dataChanges: [String: String]
    /// The item's data after the move.
    public let data: [String: String]
    /// True when `to` is terminal: the item closes.
    public let closesItem: Bool

    public init(
        transition: String, from: String, to: String, role: String, actor: String, comment: String?,
        dataChanges: [String: String], data: [String: String], closesItem: Bool
    ) {
        self.transition = transition
        self.from = from
        self.to = to
        self.role = role
        self.actor = actor
        self.comment = comment
        self.dataChanges = dataChanges
        self.data = data
        self.closesItem = closesItem
    }
}

/// The functional core of the engine: given the definition, the item as it is and a request,
/// decide what happens. The store carries the decision out in one transaction; scenario tests
/// run the very same function on a virtual clock.
public struct TransitionDecider: Sendable {
    public let definition: WorkflowDefinition

    public init(definition: WorkflowDefinition) {
        self.definition = definition
    }

    public func decide(_ request: FireRequest, for item: ItemState) -> FireDecision {
        if item.isClosed {
            return refuse(.closed, "item \(item.id) is closed (in \(item.stage)); it takes no more transitions")
        }
        guard let transition = definition.transition(request.transition) else {
            let names = definition.transitions.map(\.name)
            return refuse(
                .unknownTransition,
                "\(definition.name) has no transition \"\(request.transition)\"\(hint(request.transition, names)); "
                    + possible(from: item.stage))
        }
        guard transition.from.contains(item.stage) else {
            return refuse(
                .wrongStage, "\(transition.name) is not possible from \(item.stage); \(possible(from: item.stage))")
        }
        let role: String
        if request.actor == .system {
            guard transition.timer != nil else {
                return refuse(
                    .notPermitted, "the system only fires timer transitions, and \(transition.name) has no timer")
            }
            role = ActorIdentity.system.handle
        } else {
            guard !transition.roles.isEmpty else {
                return refuse(
                    .timerOnly,
                    "\(transition.name) is fired by its timer only (after \(transition.timer?.description ?? "?"))")
            }
            guard let held = transition.roles.first(where: { holds(request.actor, $0, on: item) }) else {
                let roles = transition.roles.joined(separator: " or ")
                return refuse(
                    .notPermitted, "\(request.actor.handle) is not \(article(roles)) \(roles) on item \(item.id)")
            }
            role = held
        }
        if let problem = DataDate.problem(in: request.dataChanges, dateFields: definition.dateFields) {
            return refuse(.invalidData, problem)
        }
        var data = item.data
        for (key, value) in request.dataChanges { data[key] = value }
        let comment = request.comment.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        var missing = transition.requiredFields.filter { (data[$0] ?? "").isEmpty }
        if transition.requiresComment && comment == nil { missing.append("comment") }
        if !missing.isEmpty {
            return refuse(.missingRequirements, "\(transition.name) requires: \(missing.joined(separator: ", "))")
        }
        if let rule = transition.approvals {
            if request.actor.handle == item.stageAuthor {
                return refuse(
                    .ownWork,
                    "\(request.actor.handle) moved this item into \(item.stage) and cannot approve their own work")
            }
            let earlier = item.approvals.filter { $0.transition == transition.name }.map(\.actor)
            let approvers = earlier.contains(request.actor.handle) ? earlier : earlier + [request.actor.handle]
            let needed = approvalsNeeded(rule, transition, item)
            if approvers.count < needed {
                return .approvalRecorded(
                    ApprovalProgress(
                        transition: transition.name, role: role, approvers: approvers, needed: needed,
                        wasAlreadyCounted: earlier.contains(request.actor.handle)))
            }
        }
        let changes = request.dataChanges.filter { item.data[$0.key] != $0.value }
        return .move(
            Move(
                transition: transition.name, from: item.stage, to: transition.to, role: role,
                actor: request.actor.handle, comment: comment, dataChanges: changes, data: data,
                closesItem: definition.stage(transition.to)?.terminal ?? false))
    }

    /// Who may fire what from `stage`: `from draft: submit (executive), withdraw (...)`.
    public func possible(from stage: String) -> String {
        let options = definition.transitions(from: stage).map { transition in
            transition.roles.isEmpty
                ? "\(transition.name) (timer, after \(transition.timer?.description ?? "?"))"
                : "\(transition.name) (\(transition.roles.joined(separator: ", ")))"
        }
        return options.isEmpty ? "nothing leaves \(stage)" : "from \(stage): \(options.joined(separator: ", "))"
    }

    /// Whether `actor` holds `role` on `item`, as a participant or globally.
    public func holds(_ actor: ActorIdentity, _ role: String, on item: ItemState) -> Bool {
        actor.globalRoles.contains(role) || item.participants.contains { $0.role == role && $0.actor == actor.handle }
    }

    /// `all`: every participant in the transition's roles except the author (at least one).
    private func approvalsNeeded(_ rule: ApprovalRule, _ transition: TransitionDefinition, _ item: ItemState) -> Int {
        switch rule {
        case .count(let count): return count
        case .allParticipants:
            let people = Set(item.participants.filter { transition.roles.contains($0.role) }.map(\.actor))
            return max(1, people.subtracting([item.stageAuthor]).count)
        }
    }

    private func refuse(_ reason: Refusal.Reason, _ message: String) -> FireDecision {
        .refused(Refusal(reason: reason, message: message))
    }

    private func hint(_ word: String, _ candidates: [String]) -> String {
        let close = candidates.filter { $0.hasPrefix(String(word.prefix(3))) || word.hasPrefix(String($0.prefix(3))) }
        return close.count == 1 ? " (did you mean \(close[0])?)" : ""
    }

    private func article(_ roles: String) -> String {
        guard let first = roles.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }
}
