/// A coaching program as a state machine: the immutable value the engine runs.
///
/// Parsing a workflow file produces one (``WorkflowParser``); the engine never reads YAML.
/// Stages, transitions and roles are kept sorted by name, so two files that say the same thing
/// in a different order have the same canonical form and the same version.
public struct WorkflowDefinition: Codable, Sendable, Equatable {
    /// The kebab-case id, e.g. `exec-post`.
    public var name: String
    /// A one-line title.
    public var title: String
    /// What the program is for.
    public var description: String
    /// Who takes part, by role name.
    public var roles: [RoleDefinition]
    /// The stage every item starts in.
    public var initial: String
    /// The stages, sorted by name.
    public var stages: [StageDefinition]
    /// The transitions, sorted by name.
    public var transitions: [TransitionDefinition]
    /// The business calendar (`podium calendar load`) that `business days` in due rules are
    /// counted in, by name; nil when no due rule counts business days.
    public var calendar: String?

    /// True when some stage's due rule counts business days.
    public var countsBusinessDays: Bool { stages.contains { $0.due?.countsBusinessDays == true } }

    /// The stage with this name.
    public func stage(_ name: String) -> StageDefinition? { stages.first { $0.name == name } }

    /// The data fields a due rule reads a date from (`due: {at: publish_at}`), in any stage: a
    /// value set for one of them must be a date.
    public var dateFields: Set<String> { Set(stages.compactMap { $0.due?.field }) }
    /// The transition with this name.
    public func transition(_ name: String) -> TransitionDefinition? { transitions.first { $0.name == name } }
    /// The role with this name.
    public func role(_ name: String) -> RoleDefinition? { roles.first { $0.name == name } }
    /// The transitions that may leave `stage`.
    public func transitions(from stage: String) -> [TransitionDefinition] {
        transitions.filter { $0.from.contains(stage) }
    }

    /// Stages in the order a reader meets them: breadth-first from the initial stage along the
    /// way forward (transitions that leave one stage), then what only the ways out reach (pause,
    /// withdraw: transitions many stages share), then the terminal stages, then any unreachable
    /// ones by name.
    public var stagesInFlowOrder: [StageDefinition] {
        var order: [String] = []
        for wayForwardOnly in [true, false] {
            var queue = wayForwardOnly ? [initial] : order
            var seen = Set<String>()
            while !queue.isEmpty {
                let next = queue.removeFirst()
                guard !seen.contains(next), stage(next) != nil else { continue }
                seen.insert(next)
                if !order.contains(next) { order.append(next) }
                queue += transitions(from: next).filter { !wayForwardOnly || $0.isWayForward }.map(\.to)
            }
        }
        let isTerminal = { (name: String) in self.stage(name)?.terminal ?? false }
        let rest = stages.map(\.name).filter { !order.contains($0) }
        return (order.filter { !isTerminal($0) } + order.filter(isTerminal) + rest).compactMap(stage)
    }

    /// Transitions in the flow order of the first stage they leave, then by name.
    public var transitionsInFlowOrder: [TransitionDefinition] {
        let order = Dictionary(uniqueKeysWithValues: stagesInFlowOrder.enumerated().map { ($1.name, $0) })
        return transitions.sorted {
            let left = $0.from.compactMap { order[$0] }.min() ?? .max
            let right = $1.from.compactMap { order[$0] }.min() ?? .max
            return (left, $0.name) < (right, $1.name)
        }
    }
}

/// A role people hold on an item, or globally.
public struct RoleDefinition: Codable, Sendable, Equatable {
    /// The role's name, e.g. `coach`.
    public var name: String
    /// What people in this role do.
    public var description: String
    /// How many people may hold the role on one item; `nil` for no limit.
    public var maxPerItem: Int?
    /// The roles whose holders may give this role to someone on an item (`assigned_by:`); `nil`
    /// for the default, ``defaultAssigners``. Holders of the global `admin` role always may.
    public var assignedBy: [String]?

    /// Who assigns a role when the workflow does not say: the community manager, who runs the
    /// program.
    public static let defaultAssigners = ["community_manager"]

    public init(name: String, description: String, maxPerItem: Int?, assignedBy: [String]? = nil) {
        self.name = name
        self.description = description
        self.maxPerItem = maxPerItem
        self.assignedBy = assignedBy
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case maxPerItem = "max_per_item"
        case assignedBy = "assigned_by"
    }
}

/// One stage of a program.
public struct StageDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var title: String
    /// The coaching guidance shown to the people who act here.
    public var description: String
    /// The role that must act next.
    public var assignee: String?
    /// When the work of this stage is due.
    public var due: DueRule?
    /// Reminders to the assignee around and after the due time.
    public var reminders: [ReminderRule]
    /// Who is told when the work is overdue.
    public var escalation: EscalationRule?
    /// Items that enter this stage are finished.
    public var terminal: Bool
    /// The stage may wait without a deadline, on purpose (`wait: forever`).
    public var waitsForever: Bool

    enum CodingKeys: String, CodingKey {
        case name, title, description, assignee, due, reminders, escalation, terminal
        case waitsForever = "waits_forever"
    }
}

/// When a stage's work is due.
public enum DueRule: Codable, Sendable, Equatable {
    /// A time, or a number of business days, after the item entered the stage.
    case after(DueSpan)
    /// A time, or a number of business days, before a date held in the item's data, e.g. a
    /// day before `publish_at`.
    case before(field: String, by: DueSpan)
    /// The date held in the item's data itself.
    case at(field: String)

    /// The item data field the due time hangs on, if any.
    public var field: String? {
        switch self {
        case .after: nil
        case .before(let field, _), .at(let field): field
        }
    }

    /// True when the rule counts business days, so the workflow needs a calendar.
    public var countsBusinessDays: Bool {
        switch self {
        case .after(.businessDays), .before(_, .businessDays): true
        case .after, .before, .at: false
        }
    }

    enum CodingKeys: String, CodingKey { case after, before, by, at }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let after = try container.decodeIfPresent(DueSpan.self, forKey: .after) {
            self = .after(after)
        } else if let field = try container.decodeIfPresent(String.self, forKey: .at) {
            self = .at(field: field)
        } else {
            self = .before(
                field: try container.decode(String.self, forKey: .before),
                by: try container.decode(DueSpan.self, forKey: .by))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .after(let span): try container.encode(span, forKey: .after)
        case .before(let field, let offset):
            try container.encode(field, forKey: .before)
            try container.encode(offset, forKey: .by)
        case .at(let field): try container.encode(field, forKey: .at)
        }
    }
}

/// A reminder to a stage's assignee.
public enum ReminderRule: Codable, Sendable, Equatable {
    /// This long before the due time.
    case before(WorkflowDuration)
    /// At the due time.
    case atDue
    /// Every so often while overdue, at most `limit` times.
    case every(WorkflowDuration, limit: Int)

    enum CodingKeys: String, CodingKey { case before, at, every, limit }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let before = try container.decodeIfPresent(WorkflowDuration.self, forKey: .before) {
            self = .before(before)
        } else if let every = try container.decodeIfPresent(WorkflowDuration.self, forKey: .every) {
            self = .every(every, limit: try container.decode(Int.self, forKey: .limit))
        } else {
            _ = try container.decode(String.self, forKey: .at)
            self = .atDue
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .before(let duration): try container.encode(duration, forKey: .before)
        case .atDue: try container.encode("due", forKey: .at)
        case .every(let duration, let limit):
            try container.encode(duration, forKey: .every)
            try container.encode(limit, forKey: .limit)
        }
    }
}

/// Who hears about overdue work, and when.
public struct EscalationRule: Codable, Sendable, Equatable {
    /// How long after the due time.
    public var after: WorkflowDuration
    /// The role told.
    public var to: String
}

/// A move from one or more stages to another.
public struct TransitionDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var title: String?
    public var description: String?
    /// The stages it may leave.
    public var from: [String]
    /// The stage it enters.
    public var to: String
    /// Who may fire it (empty for a timer that only the system fires).
    public var roles: [String]
    /// Item data fields that must be set when it fires.
    public var requiredFields: [String]
    /// Whether a comment is mandatory.
    public var requiresComment: Bool
    /// Approvals needed before it fires.
    public var approvals: ApprovalRule?
    /// A timer: the system fires it when the item has sat this long in a `from` stage.
    public var timer: WorkflowDuration?

    /// It leaves one stage: the way forward. A transition many stages share (pause, withdraw,
    /// leave) is a way out instead; flow order, My tasks and the pages tell the two apart.
    public var isWayForward: Bool { from.count == 1 }

    enum CodingKeys: String, CodingKey {
        case name, title, description, from, to, roles, approvals, timer
        case requiredFields = "required_fields"
        case requiresComment = "requires_comment"
    }
}

/// How many approvals a transition needs before it fires.
public enum ApprovalRule: Codable, Sendable, Equatable {
    /// This many distinct approvers.
    case count(Int)
    /// Every participant of the item in one of the transition's roles (except the author).
    case allParticipants

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .count(count)
        } else {
            _ = try container.decode(String.self)
            self = .allParticipants
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .count(let count): try container.encode(count)
        case .allParticipants: try container.encode("all")
        }
    }
}
