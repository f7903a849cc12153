public import Foundation

/// Someone who acts: a person, or `system` for timers.
public struct ActorIdentity: Sendable, Hashable {
    /// The actor's handle, e.g. `alice`.
    public let handle: String
    /// Roles the actor holds on every item (`podium actor add --role`).
    public let globalRoles: Set<String>
    /// The people who are away now and named this actor to act for them (`podium actor away
    /// --delegate-to`), with their own global roles; by handle. One level: whom they stand in
    /// for is not passed on.
    public let standsInFor: [ActorIdentity]

    public init(handle: String, globalRoles: Set<String> = [], standsInFor: [ActorIdentity] = []) {
        self.handle = handle
        self.globalRoles = globalRoles
        self.standsInFor = standsInFor.sorted { $0.handle < $1.handle }
    }

    /// The actor that fires timer transitions.
    public static let system = ActorIdentity(handle: "system")

    /// The global role of operators: they fix stuck items, migrate versions and may assign any
    /// role on any item.
    public static let adminRole = "admin"
}

/// A person holding a role on one item.
public struct Participant: Sendable, Hashable, Codable {
    public let role: String
    public let actor: String

    public init(role: String, actor: String) {
        self.role = role
        self.actor = actor
    }
}

/// An approval recorded during the current visit of a stage.
public struct Approval: Sendable, Hashable, Codable {
    public let transition: String
    /// Whose approval it is: the approver, or the person away whom a delegate approved for.
    public let actor: String
    /// Who gave it for ``actor`` while they were away; nil when they gave it themselves.
    public let delegate: String?

    public init(transition: String, actor: String, delegate: String? = nil) {
        self.transition = transition
        self.actor = actor
        self.delegate = delegate
    }

    /// The person whose judgement it was: the delegate when there was one.
    public var judge: String { delegate ?? actor }
}

/// What the decision core needs to know about an item: a snapshot, not a database row.
public struct ItemState: Sendable {
    public var id: Int
    public var stage: String
    public var data: [String: String]
    public var participants: [Participant]
    /// Who moved the item into its current stage (its creator for the initial stage): the
    /// person whose work is under review, who therefore never approves it.
    public var stageAuthor: String
    /// The role ``stageAuthor`` acted in when moving the item into its current stage.
    public var stageAuthorRole: String
    /// The person away ``stageAuthor`` stood in for when moving it, if any: the work is theirs
    /// too, so they never approve it either.
    public var stageAuthorFor: String? = nil
    /// The stage the item left to enter its current one; nil for the stage it was created in.
    public var enteredFrom: String?
    public var stageEnteredAt: Date
    /// Approvals given during the current visit of the stage.
    public var approvals: [Approval]
    public var isClosed: Bool

    public init(
        id: Int, stage: String, data: [String: String], participants: [Participant], stageAuthor: String,
        stageAuthorRole: String = "", enteredFrom: String? = nil, stageEnteredAt: Date, approvals: [Approval] = [],
        isClosed: Bool = false
    ) {
        self.id = id
        self.stage = stage
        self.data = data
        self.participants = participants
        self.stageAuthor = stageAuthor
        self.stageAuthorRole = stageAuthorRole
        self.enteredFrom = enteredFrom
        self.stageEnteredAt = stageEnteredAt
        self.approvals = approvals
        self.isClosed = isClosed
    }

    /// The handles holding `role` on this item.
    public func holders(of role: String) -> [String] {
        participants.filter { $0.role == role }.map(\.actor)
    }

    /// The item after `move`, made at `now`: the one place a move's effect on the state is
    /// spelled, for the scenario runner (the database store writes the same facts).
    public mutating func apply(_ move: Move, at now: Date) {
        stage = move.to
        data = move.data
        stageAuthor = move.actor
        stageAuthorRole = move.role
        stageAuthorFor = move.onBehalfOf
        enteredFrom = move.from
        stageEnteredAt = now
        approvals = []
        isClosed = move.closesItem
    }
}

/// A request to fire a transition.
public struct FireRequest: Sendable {
    public let transition: String
    public let actor: ActorIdentity
    public let comment: String?
    /// Data fields to set as part of the transition (`--set key=value`).
    public let dataChanges: [String: String]

    public init(transition: String, actor: ActorIdentity, comment: String? = nil, dataChanges: [String: String] = [:]) {
        self.transition = transition
        self.actor = actor
        self.comment = comment
        self.dataChanges = dataChanges
    }
}
