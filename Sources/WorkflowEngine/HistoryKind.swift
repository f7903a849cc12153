/// What an entry of an item's history records. The database's `history_kind_check` allows
/// exactly these spellings (SQL/010).
public enum HistoryKind: String, Sendable, Codable, CaseIterable {
    /// The item was created and entered its initial stage.
    case create
    /// A workflow transition moved the item.
    case transition
    /// An operator moved the item to a stage of their choosing.
    case override
    /// Someone was given a role on the item.
    case assign
    /// Someone's role on the item was taken away.
    case unassign
    /// An operator cancelled the item.
    case cancel
    /// The item moved to another version of its workflow.
    case migrate
    /// An operator retried or cancelled one of the item's tasks.
    case task
    /// Someone approved a transition that needs more approvals before it moves the item.
    case approval
    /// Someone commented on the item.
    case comment

    /// Whether an entry of this kind starts a stage visit: time in a stage runs from one such
    /// entry to the next. Assignments, task fixes, approvals and comments happen within a visit.
    public var startsVisit: Bool {
        switch self {
        case .create, .transition, .override, .cancel, .migrate: true
        case .assign, .unassign, .task, .approval, .comment: false
        }
    }

    /// The spellings of the kinds that start a visit, for SQL (`kind = any(...)`).
    public static let visitStarting: [String] = allCases.filter(\.startsVisit).map(\.rawValue)
}
