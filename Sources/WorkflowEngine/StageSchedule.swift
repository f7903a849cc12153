public import Foundation
public import WorkflowLanguage

/// Work the engine schedules when an item enters a stage.
public struct PlannedTask: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case reminder, escalation, timer
        /// A person's daily digest of reminders: queued by the worker, never planned by a stage.
        case digest
    }

    public let kind: Kind
    public let runAt: Date
    /// Reminders of one visit are numbered from 1, in time order.
    public let sequence: Int
    /// Who hears about it (reminders: the assignee; escalations: the escalation role).
    public let recipientRole: String?
    /// Timers: the transition to fire.
    public let transition: String?
    /// `1d before due`, `at due`, `overdue 2 of 3`, `escalation to ROLE`, or the timer's transition.
    public let label: String
}

/// Pure scheduling arithmetic: the due time and the tasks of one stage visit.
public enum StageSchedule {
    /// When the stage's work is due, or nil: no `due`, a date field that is missing or invalid,
    /// or business days to count and no `calendar` to count them in (the engine refuses to
    /// schedule without the workflow's calendar, so only a caller that skipped it sees this).
    public static func dueTime(
        of stage: StageDefinition, enteredAt: Date, data: [String: String], calendar: BusinessCalendar?
    ) -> Date? {
        switch stage.due {
        case .after(.elapsed(let duration)): return enteredAt.addingTimeInterval(TimeInterval(duration.seconds))
        case .after(.businessDays(let days)): return calendar?.adding(days, to: enteredAt)
        case .before(let field, let offset):
            guard let text = data[field], let date = parseDate(text) else { return nil }
            switch offset {
            case .elapsed(let duration): return date.addingTimeInterval(-TimeInterval(duration.seconds))
            case .businessDays(let days):
                // A plain day is a date on the calendar's own clock, not midnight UTC.
                if let day = DataDate.day(text) { return calendar?.subtracting(days, fromStartOf: day) }
                return calendar?.subtracting(days, from: date)
            }
        case .at(let field): return data[field].flatMap(parseDate)
        case nil: return nil
        }
    }

    /// The tasks to create on entering `stage`, sorted by time.
    public static func tasks(
        for stage: StageDefinition, in definition: WorkflowDefinition, enteredAt: Date, data: [String: String],
        calendar: BusinessCalendar?
    ) -> [PlannedTask] {
        guard !stage.terminal else { return [] }
        var tasks: [PlannedTask] = []
        if let due = dueTime(of: stage, enteredAt: enteredAt, data: data, calendar: calendar) {
            var reminders: [(Date, String)] = []
            for rule in stage.reminders {
                switch rule {
                case .before(let lead):
                    reminders.append(
                        (max(enteredAt, due.addingTimeInterval(-TimeInterval(lead.seconds))), "\(lead) before due"))
                case .atDue:
                    reminders.append((max(enteredAt, due), "at due"))
                case .every(let interval, let limit):
                    for round in 1...limit {
                        let at = due.addingTimeInterval(TimeInterval(interval.seconds * Int64(round)))
                        reminders.append((max(enteredAt, at), "overdue \(round) of \(limit)"))
                    }
                }
            }
            for (index, reminder) in reminders.sorted(by: { $0.0 < $1.0 }).enumerated() {
                tasks.append(
                    PlannedTask(
                        kind: .reminder, runAt: reminder.0, sequence: index + 1, recipientRole: stage.assignee,
                        transition: nil, label: reminder.1))
            }
            if let escalation = stage.escalation {
                tasks.append(
                    PlannedTask(
                        kind: .escalation,
                        runAt: max(enteredAt, due.addingTimeInterval(TimeInterval(escalation.after.seconds))),
                        sequence: 0, recipientRole: escalation.to, transition: nil,
                        label: "escalation to \(escalation.to)"))
            }
        }
        for transition in definition.transitions(from: stage.name) {
            guard let timer = transition.timer else { continue }
            tasks.append(
                PlannedTask(
                    kind: .timer, runAt: enteredAt.addingTimeInterval(TimeInterval(timer.seconds)), sequence: 0,
                    recipientRole: nil, transition: transition.name, label: transition.name))
        }
        return tasks.sorted { ($0.runAt, $0.kind.rawValue, $0.sequence) < ($1.runAt, $1.kind.rawValue, $1.sequence) }
    }

    /// Reads a date from item data; see ``DataDate``.
    public static func parseDate(_ text: String) -> Date? { DataDate.parse(text) }
}
