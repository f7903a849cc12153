internal import Foundation
public import WorkflowLanguage

/// Why a transition was refused: what is wrong and what would work.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case closed, unknownTransition, wrongStage, notPermitted, timerOnly, missingRequirements, ownWork
        /// A value that must be a date is not one (exit 2 on the command line: bad input, not a rule).
        case invalidData

        /// The reason in snake_case (`own_work`), the stable second part of an error's code.
        public var code: String {
            rawValue.unicodeScalars.reduce(into: "") { text, scalar in
                if CharacterSet.uppercaseLetters.contains(scalar) { text += "_" }
                text += String(scalar).lowercased()
            }
        }
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
    /// Who the approval is for when a delegate gave it (their principal), or nil.
    public let onBehalfOf: String?
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
    /// Who fired it: the person, or `system`.
    public let actor: String
    /// The person away whom ``actor`` stood in for, holding ``role``; nil when they acted as
    /// themselves. History records it: "sam for dana".
    public let onBehalfOf: String?
    public let comment: String?
    /// The fields this move sets, with their new values.
    public let dataChanges: [String: String]
    /// The item's data after the move.
    public let data: [String: String]
    /// True when `to` is terminal: the item closes.
    public let closesItem: Bool

    public init(
        transition: String, from: String, to: String, role: String, actor: String, onBehalfOf: String? = nil,
        comment: String?, dataChanges: [String: String], data: [String: String], closesItem: Bool
    ) {
        self.transition = transition
        self.from = from
        self.to = to
        self.role = role
        self.actor = actor
        self.onBehalfOf = onBehalfOf
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
        var onBehalfOf: String? = nil
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
            switch actingOptions(request.actor, in: transition, on: item) {
            case .failure(let refusal): return .refused(refusal)
            case .success(let options):
                // An approval is given for someone whose approval is not counted yet: a stand-in
                // for two people approves for the second once the first has.
                let earlier = item.approvals.filter { $0.transition == transition.name }.map(\.actor)
                let chosen =
                    transition.approvals == nil
                    ? options[0]
                    : options.first { !earlier.contains($0.onBehalfOf ?? request.actor.handle) } ?? options[0]
                role = chosen.role
                onBehalfOf = chosen.onBehalfOf
            }
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
        if transition.approvals != nil {
            let principal = onBehalfOf ?? request.actor.handle
            let authors = workAuthors(of: item)
            if authors.contains(request.actor.handle) {
                return refuse(.ownWork, ownWorkMessage(request.actor.handle, item))
            }
            if let onBehalfOf, authors.contains(onBehalfOf) {
                return refuse(.ownWork, ownWorkMessage(onBehalfOf, item, delegate: request.actor.handle))
            }
            let earlier = item.approvals.filter { $0.transition == transition.name }
            let alreadyCounted = earlier.contains { $0.actor == principal }
            // One person's judgement counts once: a delegate who approved for themselves does not
            // approve again for the person they stand in for, nor the other way round.
            if !alreadyCounted, let other = earlier.first(where: { $0.judge == request.actor.handle }) {
                let already = other.delegate == nil ? "as themselves" : "for \(other.actor)"
                return refuse(
                    .notPermitted,
                    "\(request.actor.handle) already approved \(transition.name) \(already); "
                        + "an approval \(onBehalfOf.map { "for \($0)" } ?? "of their own") must come from someone else")
            }
            let approvers = earlier.map(\.actor) + (alreadyCounted ? [] : [principal])
            let needed = approvalsNeeded(for: transition, on: item)
            if approvers.count < needed {
                return .approvalRecorded(
                    ApprovalProgress(
                        transition: transition.name, role: role, approvers: approvers, needed: needed,
                        onBehalfOf: onBehalfOf, wasAlreadyCounted: alreadyCounted))
            }
        }
        let changes = request.dataChanges.filter { item.data[$0.key] != $0.value }
        return .move(
            Move(
                transition: transition.name, from: item.stage, to: transition.to, role: role,
                actor: request.actor.handle, onBehalfOf: onBehalfOf, comment: comment, dataChanges: changes,
                data: data, closesItem: definition.stage(transition.to)?.terminal ?? false))
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

    /// Whether `actor` may see `item` at all (its page, its history, its draft): they created it,
    /// take part in it in any role, hold one of its workflow's roles globally (so they may act on
    /// every item of it), or are an admin. Everyone else is told there is no such item, as if it
    /// did not exist, by every door.
    public func mayRead(_ item: ItemState, createdBy: String, actor: ActorIdentity) -> Bool {
        actor.globalRoles.contains(ActorIdentity.adminRole) || createdBy == actor.handle
            || item.participants.contains { $0.actor == actor.handle }
            || definition.roles.contains { actor.globalRoles.contains($0.name) }
            || actor.standsInFor.contains { mayRead(item, createdBy: createdBy, actor: $0) }
    }

    /// The role `actor` fires `transition` in on `item`, and whom they stand in for: their own
    /// role when they hold one and it does not have them review their own work; otherwise the
    /// role of someone away they stand in for (see ``ActorIdentity/standsInFor``), when acting
    /// in it reviews the work of neither of them. The refusal says which rule said no.
    public func acting(_ actor: ActorIdentity, in transition: TransitionDefinition, on item: ItemState)
        -> Result<(role: String, onBehalfOf: String?), Refusal>
    {
        actingOptions(actor, in: transition, on: item).map { $0[0] }
    }

    /// Every way `actor` may fire `transition` on `item`, in the order ``acting(_:in:on:)``
    /// prefers them: as themselves, then for each person away they stand in for. An approval
    /// takes the first whose approval is not counted yet.
    func actingOptions(_ actor: ActorIdentity, in transition: TransitionDefinition, on item: ItemState)
        -> Result<[(role: String, onBehalfOf: String?)], Refusal>
    {
        var options: [(role: String, onBehalfOf: String?)] = []
        let own = transition.roles.filter { holds(actor, $0, on: item) }
        if let role = own.first(where: { !reviewsOwnWork(actor.handle, as: $0, on: item) }) {
            options.append((role, nil))
        }
        var ownWork: String? = own.isEmpty || !options.isEmpty ? nil : ownWorkMessage(actor.handle, item)
        for principal in actor.standsInFor {
            for role in transition.roles where holds(principal, role, on: item) {
                if let person = [actor.handle, principal.handle].first(where: {
                    reviewsOwnWork($0, as: role, on: item)
                }) {
                    ownWork =
                        ownWork
                        ?? ownWorkMessage(person, item, delegate: person == principal.handle ? actor.handle : nil)
                    continue
                }
                options.append((role, principal.handle))
                break
            }
        }
        if !options.isEmpty { return .success(options) }
        if let ownWork { return .failure(Refusal(reason: .ownWork, message: ownWork)) }
        let roles = transition.roles.joined(separator: " or ")
        let standIn = actor.standsInFor.isEmpty ? "" : " and stands in for nobody who is"
        return .failure(
            Refusal(
                reason: .notPermitted,
                message: "\(actor.handle) is not \(article(roles)) \(roles) on item \(item.id)\(standIn)"))
    }

    /// Whether `actor` holds `role` on `item`, as a participant or globally.
    public func holds(_ actor: ActorIdentity, _ role: String, on item: ItemState) -> Bool {
        actor.globalRoles.contains(role) || item.participants.contains { $0.role == role && $0.actor == actor.handle }
    }

    /// How many distinct approvals `transition` needs on `item` now: its count, or for `all`
    /// every participant in its roles except the work's authors (at least one); 0 for a
    /// transition without approvals. `item show`, `stuck` and the fire all ask this.
    public func approvalsNeeded(for transition: TransitionDefinition, on item: ItemState) -> Int {
        switch transition.approvals {
        case nil: return 0
        case .count(let count): return count
        case .allParticipants:
            let people = Set(item.participants.filter { transition.roles.contains($0.role) }.map(\.actor))
            return max(1, people.subtracting(workAuthors(of: item)).count)
        }
    }

    /// Whether `actor` may fire `transition` on `item` now, as far as who they are goes: the
    /// item is open, the transition leaves its stage, the actor holds one of its roles, does not
    /// review or approve their own work, and has not approved it already. Requirements (data,
    /// a comment) are the fire's to check. `item show` lists the people for whom this is true.
    public func mayFire(_ transition: TransitionDefinition, actor: ActorIdentity, on item: ItemState) -> Bool {
        guard !item.isClosed, transition.from.contains(item.stage), !transition.roles.isEmpty,
            case .success(let options) = actingOptions(actor, in: transition, on: item)
        else { return false }
        guard transition.approvals != nil else { return true }
        return options.contains { option in
            let principal = option.onBehalfOf ?? actor.handle
            return workAuthors(of: item).isDisjoint(with: [actor.handle, principal])
                && !item.approvals.contains {
                    $0.transition == transition.name && ($0.actor == principal || $0.judge == actor.handle)
                }
        }
    }

    /// The role `actor` assigns `role` in on `item` (a role the workflow lets assign it, or
    /// `admin`), or the refusal: the role is not declared, or the actor holds no role that may
    /// assign it (`assigned_by:`, by default the community manager). Nobody assigns a role
    /// because they take part: an executive cannot make herself her own coach.
    public func assignment(of role: String, by actor: ActorIdentity, on item: ItemState) -> Result<String, Refusal> {
        if item.isClosed {
            return .failure(Refusal(reason: .closed, message: "item \(item.id) is closed; its people no longer change"))
        }
        guard definition.role(role) != nil else {
            let names = definition.roles.map(\.name).joined(separator: ", ")
            return .failure(
                Refusal(reason: .notPermitted, message: "\(definition.name) has no role \(role); its roles: \(names)"))
        }
        let assigners = assigners(of: role)
        if let held = assigners.first(where: { holds(actor, $0, on: item) }) { return .success(held) }
        if actor.globalRoles.contains(ActorIdentity.adminRole) { return .success(ActorIdentity.adminRole) }
        return .failure(
            Refusal(
                reason: .notPermitted,
                message: "\(actor.handle) may not assign \(role) on item \(item.id); \(whoMayAssign(role))"))
    }

    /// The declared roles whose holders may assign `role` (`assigned_by:`, by default the
    /// community manager); admins may as well.
    public func assigners(of role: String) -> [String] {
        (definition.role(role)?.assignedBy ?? RoleDefinition.defaultAssigners).filter { definition.role($0) != nil }
    }

    /// `community_manager or an admin may`: who may assign `role`, for refusals.
    public func whoMayAssign(_ role: String) -> String {
        let assigners = assigners(of: role)
        return (assigners.isEmpty ? "" : "\(assigners.joined(separator: " or ")) or ") + "an admin may"
    }

    // MARK: Separation of duties

    /// Who did the work now under review: the person who moved the item into its stage, and
    /// the item's holders of the role the previous stage was waiting on (the executive whose
    /// draft a coach reviews, even when the community manager moved it along).
    public func workAuthors(of item: ItemState) -> Set<String> {
        var authors: Set<String> = [item.stageAuthor]
        if let principal = item.stageAuthorFor { authors.insert(principal) }
        if let previous = item.enteredFrom, let role = definition.stage(previous)?.assignee {
            authors.formUnion(item.holders(of: role))
        }
        return authors
    }

    /// The role that reviews the work of the previous stage: the current stage's assignee, when
    /// the stage reviews that work (it can send it back, or approves it; see
    /// ``reviews(_:workOf:)``) and that role is neither the one the work was done in nor the one
    /// its mover acted in. Nil where a stage continues its own work (a draft) or simply takes
    /// over (triage hands a question to the executive who answers it).
    public func reviewingRole(of item: ItemState) -> String? {
        guard let previous = item.enteredFrom, let reviewer = definition.stage(item.stage)?.assignee,
            reviewer != item.stageAuthorRole, reviewer != definition.stage(previous)?.assignee,
            reviews(item.stage, workOf: previous)
        else { return nil }
        return reviewer
    }

    /// Whether `stage` reviews the work done in `previous`: one of its transitions sends the
    /// item back there (`request_changes`), or needs approvals.
    public func reviews(_ stage: String, workOf previous: String) -> Bool {
        definition.transitions(from: stage).contains { $0.to == previous || $0.approvals != nil }
    }

    /// Whether acting as `role` would have `handle` review work they did. Nobody reviews their
    /// own work, whatever gave them the role: a participant's role, a global one, an assignment
    /// or two roles at once.
    public func reviewsOwnWork(_ handle: String, as role: String, on item: ItemState) -> Bool {
        role == reviewingRole(of: item) && workAuthors(of: item).contains(handle)
    }

    /// Why `handle` may not review this work; with `delegate`, why the delegate may not review
    /// it for `handle` either.
    private func ownWorkMessage(_ handle: String, _ item: ItemState, delegate: String? = nil) -> String {
        let who = delegate.map { "\($0) stands in for \(handle), who" } ?? handle
        if handle == item.stageAuthorFor {
            return "\(item.stageAuthor) moved this item into \(item.stage) for \(handle): "
                + (delegate.map { "\($0), standing in for \(handle), cannot" } ?? "\(handle) cannot")
                + " review or approve that work"
        }
        if handle == item.stageAuthor {
            return delegate == nil
                ? "\(handle) moved this item into \(item.stage) and cannot review or approve their own work"
                : "\(who) moved this item into \(item.stage): nobody approves that work for them"
        }
        let role = item.enteredFrom.flatMap { definition.stage($0)?.assignee } ?? "author"
        return delegate == nil
            ? "\(handle) did the work under review in \(item.stage) (as \(role)) and cannot review or approve it"
            : "\(who) did the work under review in \(item.stage) (as \(role)): nobody approves it for them"
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
