import Foundation
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// What the item page, the inbox and a link's confirmation page show of an item, for one reader:
/// their own time zone, the names of the people, and the forms of the transitions they may fire.
struct ItemPageModel {
    struct Field {
        let name: String
        let value: String
    }

    /// One input a transition asks for before it is sent.
    struct Input {
        let inputID: String
        let field: String
        let label: String
        let hint: String?
        let type: String
        let multiline: Bool
        let required: Bool
        let value: String
    }

    /// A transition the reader may fire, as a form. Stored properties only: templates read
    /// values by reflection, which does not see computed ones.
    struct Action {
        let itemID: Int
        let name: String
        let label: String
        let toTitle: String
        let inputs: [Input]
        let csrf: String
        let revision: Int
        /// Nothing to ask: the inbox offers it as one button.
        let simple: Bool
        /// What it asks for, in words, for the inbox.
        let asks: String
        /// A way out rather than the way forward (withdraw, pause, leave: a transition many
        /// stages share): shown as a quieter button.
        let leaves: Bool

        init(
            itemID: Int, name: String, label: String, toTitle: String, inputs: [Input], csrf: String, revision: Int,
            leaves: Bool
        ) {
            self.itemID = itemID
            self.name = name
            self.label = label
            self.toTitle = toTitle
            self.inputs = inputs
            self.csrf = csrf
            self.revision = revision
            simple = inputs.allSatisfy { !$0.required }
            asks = inputs.filter(\.required).map { $0.label.lowercased() }.joined(separator: ", ")
            self.leaves = leaves
        }
    }

    struct Approval {
        let summary: String
    }

    /// What every page about an item shows at its top.
    struct Heading {
        let id: Int
        let title: String
        let program: String
        let stageTitle: String
        let due: String?
        let late: Bool
        let closed: String?
        let guidance: String?
        /// What the item's data is called on its page: "The draft" for a post, "Details" otherwise.
        let contents: String
    }

    struct Moment {
        let when: String
        let who: String
        let what: String
        let stay: String?
        let comment: String?
    }

    struct Comment {
        let who: String
        let when: String
        let body: String
    }

    let view: ItemView
    let definition: WorkflowDefinition
    let reader: ActorRecord
    let time: LocalTime
    let names: [String: String]

    var program: String { definition.title }

    var heading: Heading {
        Heading(
            id: view.id, title: view.title, program: program, stageTitle: view.stageTitle, due: due, late: late,
            closed: closed, guidance: view.guidance.isEmpty ? nil : view.guidance,
            contents: view.data["body"] != nil || definition.transitions.contains { $0.requiredFields.contains("body") }
                ? "The draft" : "Details")
    }

    var due: String? { view.closedAt == nil ? view.dueAt.map(time.due) : nil }
    var late: Bool { view.closedAt == nil && (view.dueAt.map { $0 < time.now } ?? false) }

    var closed: String? {
        if let cancellation = view.cancellation {
            return "cancelled by \(name(cancellation.actor)) \(time.relative(cancellation.at)): \(cancellation.reason)"
        }
        return view.closedAt.map { "closed \(time.instant($0))" }
    }

    /// The item's data, as text (the page escapes it), in a stable order; dates a due rule reads
    /// on the reader's wall clock.
    var fields: [Field] {
        view.data.keys.sorted().map { name in
            let value = view.data[name] ?? ""
            let date = definition.dateFields.contains(name) ? DataDate.parse(value) : nil
            return Field(name: Self.label(for: name), value: date.map(time.instant) ?? value)
        }
    }

    /// "1 of 2: Maria Lopez approved" per transition that needs approvals.
    var approvals: [Approval] {
        view.approvals.map { approval in
            let who = approval.approvers.map(name).joined(separator: ", ")
            let title =
                definition.transitions.first { $0.name == approval.transition }?.title
                ?? Self.label(for: approval.transition)
            return Approval(
                summary: "\(title): \(approval.approvers.count) of \(approval.needed) approvals"
                    + (who.isEmpty ? " so far" : ": \(who) approved"))
        }
    }

    /// The transitions the reader may fire now, each with what it asks for.
    /// What a person typed into one transition's form before it was refused, to give it back.
    struct Typed {
        let transition: String
        let form: WebForm
    }

    /// The transitions the reader may fire now, each with what it asks for; the form of `typed`
    /// filled with what was typed.
    func actions(csrf: String, typed: Typed? = nil) -> [Action] {
        view.transitions(firedBy: reader.handle).map { possible in
            let transition = definition.transitions.first { $0.name == possible.name }
            return Action(
                itemID: view.id, name: possible.name, label: transition?.title ?? Self.label(for: possible.name),
                toTitle: definition.stage(possible.to)?.title ?? possible.to,
                inputs: inputs(
                    for: possible, transition: transition,
                    typed: typed.flatMap { $0.transition == possible.name ? $0.form : nil }),
                csrf: csrf, revision: view.revision, leaves: !(transition?.isWayForward ?? true))
        }
    }

    /// Who else may move the item, for a reader who may not ("Sam Okafor may approve").
    var others: [String] {
        view.possibleTransitions.filter { $0.timer == nil && !$0.participants.contains(reader.handle) }.compactMap {
            possible in
            guard !possible.participants.isEmpty else { return nil }
            let title =
                definition.transitions.first { $0.name == possible.name }?.title ?? Self.label(for: possible.name)
            return "\(possible.participants.map(name).joined(separator: " or ")) may \(title.lowercased())."
        }
    }

    /// The people the item waits on, by name; nil when nobody may act.
    var waitingOn: String? {
        // The people whose stage it is; else everyone who may move it.
        let people =
            view.nextActors.isEmpty
            ? Set(view.possibleTransitions.filter { $0.timer == nil }.flatMap(\.participants)) : Set(view.nextActors)
        return people.isEmpty ? nil : people.sorted().map(name).joined(separator: ", ")
    }

    var comments: [Comment] {
        view.comments.map { Comment(who: name($0.actor), when: time.instant($0.at), body: $0.body) }
    }

    func timeline(_ history: [HistoryEntry]) -> [Moment] {
        history.reversed().map { entry in
            let what: String
            let to = definition.stage(entry.toStage)?.title ?? entry.toStage
            let kind = HistoryKind(rawValue: entry.kind)
            switch kind {
            case .create: what = "started it in \(to)"
            case .transition:
                let title = entry.transition.flatMap { name in definition.transitions.first { $0.name == name }?.title }
                what = "\(title ?? entry.transition.map(Self.label) ?? "moved it"): now \(to)"
            case .approval: what = "approved (\(entry.transition.map(Self.label) ?? "")); more approvals needed"
            case .override: what = "moved it to \(to), overriding the workflow"
            case .cancel: what = "cancelled it"
            case .comment: what = "commented"
            case .migrate: what = "moved it to a new version of the program"
            case .assign, .unassign, .task: what = entry.comment ?? Self.label(for: entry.kind)
            case nil: what = Self.label(for: entry.kind)
            }
            let quiet: Set<HistoryKind?> = [.comment, .approval, .assign, .unassign, .task]
            // Time spent where the entry put the item; a terminal stage is no stay.
            let terminal = definition.stage(entry.toStage)?.terminal ?? false
            let stay =
                !quiet.contains(kind) && kind != .cancel && !terminal
                ? "\(LocalTime.span(TimeInterval(entry.secondsInStage))) in \(to)" : nil
            return Moment(
                when: time.instant(entry.at),
                who: name(entry.actor) + (entry.onBehalfOf.map { " for \(name($0))" } ?? ""), what: what, stay: stay,
                comment: [.assign, .unassign, .task].contains(kind) ? nil : entry.comment)
        }
    }

    /// Everyone `view` (and its `history`) names: whose names a page needs.
    static func handles(in view: ItemView, history: [HistoryEntry] = []) -> Set<String> {
        var handles = Set(view.participants.map(\.actor) + view.nextActors + [view.createdBy])
        handles.formUnion(view.possibleTransitions.flatMap(\.participants))
        handles.formUnion(view.approvals.flatMap(\.approvers))
        handles.formUnion(view.comments.map(\.actor))
        handles.formUnion(history.map(\.actor) + history.compactMap(\.onBehalfOf))
        if let cancellation = view.cancellation { handles.insert(cancellation.actor) }
        return handles
    }

    /// A person's name as the page shows it: "Sam Okafor (sam)".
    func name(_ handle: String) -> String {
        names[handle].map { "\($0) (\(handle))" } ?? handle
    }

    private func inputs(for possible: PossibleTransition, transition: TransitionDefinition?, typed: WebForm?)
        -> [Input]
    {
        var inputs = (transition?.requiredFields ?? []).map { field in
            let isDate = definition.dateFields.contains(field)
            let current = view.data[field] ?? ""
            return Input(
                inputID: "\(possible.name)-\(field)", field: field, label: Self.label(for: field),
                hint: isDate ? "In your time zone, \(time.name)." : nil, type: isDate ? "datetime-local" : "text",
                multiline: !isDate && (field == "body" || current.count > 80 || current.contains("\n")), required: true,
                value: typed?[field] ?? (isDate ? (DataDate.parse(current).map(localInputValue) ?? "") : current))
        }
        let needsComment = transition?.requiresComment ?? false
        inputs.append(
            Input(
                inputID: "\(possible.name)-comment", field: "comment",
                label: needsComment ? "Comment" : "Comment (optional)", hint: nil, type: "text", multiline: true,
                required: needsComment, value: typed?["comment"] ?? ""))
        return inputs
    }

    /// `2026-03-10T09:00` in the reader's zone, as a `datetime-local` input holds it.
    private func localInputValue(_ date: Date) -> String {
        LocalTime.formatter("yyyy-MM-dd'T'HH:mm", in: time.zone).string(from: date)
    }

    /// `publish_at` as a label: "Publish at"; `url` as "URL".
    static func label(for name: String) -> String {
        let words = name.split(separator: "_").map { $0 == "url" ? "URL" : String($0) }.joined(separator: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// The data a transition's form sends: its required fields as typed, except a date a due
    /// rule reads, which a `datetime-local` input gives on the reader's wall clock: it is read in
    /// their zone and written as RFC 3339 UTC. A value left as the page showed it keeps the instant
    /// stored (so an hour the clocks repeat does not move); a time the clocks repeat is the first
    /// of the two; a time they skip is refused. Anything else goes to the engine as typed, to judge.
    ///
    /// - Throws: ``PodiumError`` `.usage` for a local time that does not exist in the zone.
    static func data(
        from form: WebForm, for transition: TransitionDefinition?, dateFields: Set<String>, zone: TimeZone,
        current: [String: String]
    ) throws -> [String: String] {
        var data: [String: String] = [:]
        for field in transition?.requiredFields ?? [] {
            guard let value = form[field] else { continue }
            guard dateFields.contains(field), DataDate.parse(value) == nil, let wall = wallTime(value) else {
                data[field] = value
                continue
            }
            if let stored = current[field], let instant = DataDate.parse(stored),
                LocalTime.formatter("yyyy-MM-dd'T'HH:mm", in: zone).string(from: instant) == value
                    || LocalTime.formatter("yyyy-MM-dd'T'HH:mm:ss", in: zone).string(from: instant) == value
            {
                data[field] = stored
                continue
            }
            guard let first = WallClock(zone).instants(of: wall).first else {
                throw PodiumError(
                    .usage,
                    "\(label(for: field)) \(value.replacingOccurrences(of: "T", with: " ")) does not exist in \(zone.identifier): the clocks skip that hour",
                    hint: "choose a time an hour later", reason: "date")
            }
            data[field] = DataDate.format(first)
        }
        return data
    }

    /// `2026-03-10T09:00` (or with seconds) as a wall-clock time, or nil when it is not one.
    static func wallTime(_ text: String) -> WallClock.LocalTime? {
        guard text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"#, options: .regularExpression) != nil,
            let naive = DataDate.parse(text + (text.count == 16 ? ":00Z" : "Z"))
        else { return nil }
        // The UTC clock shows the naive instant as exactly the date and time typed.
        return WallClock(TimeZone(secondsFromGMT: 0)!).localTime(at: naive)
    }
}
