/// A failure Podium explains to a person: what went wrong, what to do next, and the exit code
/// a command ends with.
public struct PodiumError: Error, Sendable, CustomStringConvertible {
    /// The class of failure; each maps to a documented exit code.
    public struct Kind: Hashable, Sendable {
        /// The process exit code for this kind.
        public let exitCode: Int32

        /// Bad arguments or input (2).
        public static let usage = Kind(exitCode: 2)
        /// An item, actor, workflow or version that does not exist (3).
        public static let notFound = Kind(exitCode: 3)
        /// A rule said no: role, stage, requirement, terminal item (4).
        public static let refused = Kind(exitCode: 4)
        /// Someone else changed it first: stale revision, concurrent transition (5).
        public static let conflict = Kind(exitCode: 5)
        /// The database cannot be reached or went away (6).
        public static let database = Kind(exitCode: 6)
        /// The schema is not as this Podium expects: edited or unknown migrations (7).
        public static let schema = Kind(exitCode: 7)
    }

    /// The class of failure.
    public let kind: Kind
    /// What went wrong, in one sentence.
    public let message: String
    /// What to do next, if there is something to say.
    public let hint: String?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    public var description: String {
        guard let hint else { return message }
        return "\(message)\n  hint: \(hint)"
    }
}
