internal import Foundation
public import WorkflowLanguage

/// A scenario file with what it runs against: its workflow and, when the workflow counts
/// business days, its calendar, each read from the path the scenario gives relative to itself.
public struct ScenarioSetup: Sendable {
    public let scenario: Scenario
    public let definition: WorkflowDefinition
    public let calendar: BusinessCalendar?

    /// Reads the scenario at `path`, then its workflow and calendar files.
    ///
    /// - Throws: ``ScenarioError`` naming the line of the scenario, or the file, that is wrong:
    ///   an unreadable file, a workflow or calendar with errors, a workflow that counts business
    ///   days with no `calendar:` in the scenario, or a calendar of another name.
    public init(file path: String) throws(ScenarioError) {
        let text: String
        do { text = try WorkflowFiles.read(path) } catch { throw ScenarioError(line: 1, message: error.description) }
        scenario = try Scenario.parse(text)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ relative: String) -> String {
            relative.hasPrefix("/")
                ? relative : directory.appendingPathComponent(relative).standardizedFileURL.path
        }
        let workflowFile = resolve(scenario.workflowPath)
        let source: String
        do { source = try WorkflowFiles.read(workflowFile) } catch {
            throw ScenarioError(line: 1, message: "workflow: \(error.description)")
        }
        guard let definition = WorkflowParser.check(source).validDefinition else {
            throw ScenarioError(
                line: 1,
                message: "the workflow \(workflowFile) has errors; run podium workflow validate \(workflowFile)")
        }
        self.definition = definition
        switch (definition.calendar, scenario.calendarPath) {
        case (nil, nil):
            calendar = nil
        case (let name?, nil):
            throw ScenarioError(
                line: 1,
                message: "\(definition.name) counts business days in calendar \(name): "
                    + "give the calendar file, e.g. calendar: ../../Calendars/\(name).yaml")
        case (let name, let relative?):
            let file = resolve(relative)
            let loaded = try Self.calendar(file)
            guard name == nil || loaded.definition.name == name else {
                throw ScenarioError(
                    line: 1,
                    message: "calendar: \(file) is calendar \(loaded.definition.name), "
                        + "but \(definition.name) counts business days in \(name ?? "")")
            }
            calendar = loaded
        }
    }

    /// Reads and checks the calendar file at `file`.
    private static func calendar(_ file: String) throws(ScenarioError) -> BusinessCalendar {
        let text: String
        do { text = try WorkflowFiles.read(file) } catch { throw ScenarioError(line: 1, message: "calendar: \(error)") }
        let check = CalendarParser.check(text, zoneProblem: BusinessCalendar.zoneProblem)
        guard let definition = check.definition else {
            let first = check.diagnostics.first { $0.severity == .error }
            throw ScenarioError(
                line: 1,
                message: "calendar: \(first.map { $0.formatted(file: file) } ?? "\(file) has errors")")
        }
        do { return try BusinessCalendar(definition) } catch {
            throw ScenarioError(line: 1, message: "calendar: \(file): \(error)")
        }
    }
}

extension BusinessCalendar {
    /// What is wrong with a zone name, or nil: the judge ``CalendarParser`` takes.
    public static func zoneProblem(_ name: String) -> String? {
        do {
            _ = try TimeZoneName.zone(name)
            return nil
        } catch {
            return error.description
        }
    }
}
