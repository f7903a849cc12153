/// A failure Podium explains to a person: what went wrong, what to do next, and the exit code
/// a command ends with.
public struct PodiumError: Error, Sendable, CustomStringConvertible {
    /// The class of failure; each maps to a documented exit code and a code prefix.
    public struct Kind: Hashable, Sendable {
        /// The process exit code for this kind.
        public let exitCode: Int32
        /// The first part of every ``PodiumError/code`` of this kind (`input`, `refused`, ...).
        public let name: String

        /// Bad arguments or input (2).
        public static let usage = Kind(exitCode: 2, name: "input")
        /// An item, actor, workflow or version that does not exist (3).
        public static let notFound = Kind(exitCode: 3, name: "not_found")
        /// A rule said no: role, stage, requirement, terminal item (4).
        public static let refused = Kind(exitCode: 4, name: "refused")
        /// Someone else changed it first: stale revision, concurrent transition (5).
        public static let conflict = Kind(exitCode: 5, name: "conflict")
        /// The database cannot be reached or went away (6).
        public static let database = Kind(exitCode: 6, name: "database")
        /// The schema is not as this Podium expects: edited or unknown migrations (7).
        public static let schema = Kind(exitCode: 7, name: "schema")
        /// A caller who could not be told from their credentials: an unknown, revoked or expired
        /// API token (8; the CLI trusts its shell and never ends with it).
        public static let unauthenticated = Kind(exitCode: 8, name: "unauthenticated")
        /// PostgreSQL refused this configuration: a wrong password, an unknown role or database,
        /// no rights, named statements behind a transaction pooler (9). Final: retrying cannot
        /// help, so a worker stops on it and a server refuses to start.
        public static let misconfigured = Kind(exitCode: 9, name: "configuration")
    }

    /// The class of failure.
    public let kind: Kind
    /// What went wrong, in one sentence.
    public let message: String
    /// What to do next, if there is something to say.
    public let hint: String?
    /// A stable, machine-readable name for the failure: the kind's name and, where one is
    /// known, the reason (`refused.own_work`, `refused.missing_requirements`,
    /// `conflict.revision`, `input.too_long`, `database.unavailable`). Clients branch on this,
    /// never on the message, which is for people and may be reworded.
    public let code: String
    /// What the error is about, for programs and for a door's own hints: `item`, `handle`,
    /// `role`, `workflow`, ... Hints written by the core name no command of any door (the CLI
    /// adds its commands from ``code`` and these, an HTTP API its links).
    public let details: [String: String]

    /// Creates an error; `reason` (snake_case) completes its ``code``.
    public init(
        _ kind: Kind, _ message: String, hint: String? = nil, reason: String? = nil, details: [String: String] = [:]
    ) {
        self.kind = kind
        self.message = message
        self.hint = hint
        code = reason.map { "\(kind.name).\($0)" } ?? kind.name
        self.details = details
    }

    public var description: String {
        guard let hint else { return message }
        return "\(message)\n  hint: \(hint)"
    }
}
