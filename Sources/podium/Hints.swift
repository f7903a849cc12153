import PodiumCore

/// The commands that do what a core hint says, by error code: the core words its hints for any
/// door ("add the person first"); the CLI names its own command, an HTTP API would link.
enum Hints {
    /// Per code, the command, with `{item}`, `{handle}`, `{role}` filled from the error's details.
    static let commands: [String: String] = [
        "refused.actor_exists": "podium actor update {handle} --as YOU",
        "not_found.actor": "podium actor add {handle} --name NAME",
        "not_found.item": "podium item list",
        "conflict.revision": "podium item show {item}",
        "refused.role_full": "podium item unassign {item} {role}=HANDLE --as YOU",
        "refused.not_participant": "podium item assign {item} ROLE={handle} --as SOMEONE_WHO_MAY",
        "refused.not_admin": "podium actor update HANDLE --add-role admin --as AN_ADMIN",
        "not_found.workflow": "podium workflow load",
        "not_found.version": "podium workflow list",
        "not_found.calendar": "podium calendar load Calendars/{calendar}.yaml",
        "schema.not_migrated": "podium migrate",
        "refused.task": "podium tasks list",
        "refused.task_left_behind": "podium item show {item}",
    ]

    /// `error`'s hint with the CLI's command for it, if there is one.
    static func hint(for error: PodiumError) -> String? {
        guard var command = commands[error.code] else { return error.hint }
        for (key, value) in error.details { command = command.replacingOccurrences(of: "{\(key)}", with: value) }
        guard !command.contains("{") else { return error.hint }
        return error.hint.map { "\($0): \(command)" } ?? command
    }
}
