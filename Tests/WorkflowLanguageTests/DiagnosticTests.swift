import Foundation
import Testing
import WorkflowLanguage

/// A small valid workflow; each test breaks one thing and checks the exact finding.
private let valid = """
    name: tiny
    title: A tiny program
    roles:
      author: Writes.
      coach:
        description: Reviews.
        max_per_item: 1
      manager: Runs it.
    initial: draft
    stages:
      draft:
        title: Draft
        assignee: author
        due: 2d
        reminders:
          - before: 4h
          - every: 1d
            limit: 2
        escalate:
          after: 1d
          to: manager
      review:
        title: Review
        assignee: coach
        due: 1d
      done:
        title: Done
        terminal: true
    transitions:
      submit:
        from: draft
        to: review
        roles: [author]
        requires: [body]
      approve:
        from: review
        to: done
        roles: [coach]
        approvals: 1
      send_back:
        from: review
        to: draft
        roles: [coach]
        requires: [comment]

    """

private func findings(_ text: String) -> [String] {
    WorkflowParser.check(text).diagnostics.map { $0.formatted(file: "f.yaml") }
}

private func replacing(_ old: String, with new: String) -> String {
    precondition(valid.contains(old), "fixture does not contain \(old)")
    return valid.replacingOccurrences(of: old, with: new)
}

@Suite("Validation findings, with their exact lines")
struct DiagnosticTests {
    @Test func theFixtureIsValid() throws {
        let check = WorkflowParser.check(valid)
        #expect(check.diagnostics.isEmpty, "\(check.diagnostics)")
        #expect(check.validDefinition?.stages.count == 3)
    }

    @Test func yamlSyntax() {
        #expect(findings("name: [unclosed\n").first?.hasPrefix("f.yaml:2:1: error: YAML syntax:") == true)
    }

    @Test func unknownKeyWithSuggestion() {
        #expect(
            findings(replacing("    assignee: author", with: "    asignee: author")) == [
                "f.yaml:13:5: error: unknown key \"asignee\" in stage \"draft\"; did you mean \"assignee\"?"
            ])
    }

    /// The misspelt stage is the root cause, so it is printed first, before the stages it left
    /// unreachable, although those stand earlier in the file.
    @Test func unknownStageReferenceWithSuggestionComesBeforeWhatItCauses() {
        let found = findings(replacing("    to: review\n", with: "    to: reviw\n"))
        #expect(found.first == "f.yaml:32:9: error: submit goes to unknown stage \"reviw\"; did you mean \"review\"?")
        #expect(found.dropFirst().contains { $0.contains("cannot be reached from the initial stage") }, "\(found)")
    }

    @Test func unknownRoles() {
        let found = findings(replacing("    roles: [author]", with: "    roles: [autor]"))
        #expect(found.contains("f.yaml:33:12: error: unknown role \"autor\"; did you mean \"author\"?"))
        let escalation = findings(replacing("      to: manager", with: "      to: boss"))
        #expect(escalation.contains("f.yaml:20:7: error: unknown role \"boss\""))
    }

    @Test func duplicateKeys() {
        let found = findings(replacing("  done:\n", with: "  review:\n"))
        #expect(found.count == 1)
        #expect(found.first?.contains("error: duplicate key \"review\"") == true)
    }

    @Test func badDuration() {
        #expect(
            findings(replacing("    due: 2d", with: "    due: two days")) == [
                "f.yaml:14:10: error: stage \"draft\" due: \"two days\" is not a duration: write e.g. 2d, 1d12h or 2 business days"
            ])
    }

    @Test func missingInitialStage() {
        #expect(
            findings(replacing("initial: draft", with: "initial: drfat")) == [
                "f.yaml:9:10: error: initial stage \"drfat\" is not a stage; did you mean \"draft\"?"
            ])
    }

    @Test func unreachableStage() {
        let text = replacing("  done:\n", with: "  limbo:\n    title: Limbo\n    wait: forever\n  done:\n")
        let found = findings(text)
        #expect(
            found.contains("f.yaml:26:3: error: stage \"limbo\" cannot be reached from the initial stage \"draft\""))
    }

    @Test func stageThatCannotFinish() {
        let text = replacing(
            "  approve:\n    from: review\n    to: done", with: "  approve:\n    from: review\n    to: draft")
        let found = findings(text)
        #expect(
            found.contains(
                "f.yaml:11:3: error: no terminal stage can be reached from stage \"draft\"; items there would be stuck")
        )
        #expect(found.contains("f.yaml:26:3: error: stage \"done\" cannot be reached from the initial stage \"draft\""))
    }

    @Test func transitionLeavingATerminalStage() {
        let found = findings(replacing("    from: review\n    to: draft", with: "    from: done\n    to: draft"))
        #expect(
            found.contains("f.yaml:41:11: error: send_back leaves terminal stage \"done\"; terminal stages are final"))
    }

    @Test func approvalsLargerThanTheRolesCanSupply() {
        let found = findings(replacing("approvals: 1", with: "approvals: 3"))
        #expect(
            found == [
                "f.yaml:39:16: error: approve needs 3 approvals but its roles (coach) hold at most 1 people on an item; it could never fire"
            ])
        #expect(WorkflowParser.check(replacing("approvals: 1", with: "approvals: 3")).hasErrors)
    }

    @Test func timerRacingAnEscalation() {
        let text = valid + "  give_up:\n    from: draft\n    to: done\n    after: 2d\n"
        #expect(
            findings(text) == [
                "f.yaml:20:7: warning: stage \"draft\": timer \"give_up\" (after 2d) fires before or with the escalation (due 2d + 1d); the escalation may never happen"
            ])
    }

    @Test func silentWaitingIsAnError() {
        let found = findings(replacing("    assignee: coach\n    due: 1d\n", with: "    assignee: coach\n"))
        #expect(
            found == [
                "f.yaml:22:3: error: stage \"review\" can wait forever in silence: give it a due time, a timer transition, or say wait: forever"
            ])
        #expect(
            findings(replacing("    assignee: coach\n    due: 1d\n", with: "    assignee: coach\n    wait: forever\n"))
                .isEmpty)
    }

    @Test func remindersWithoutADueTime() {
        let text = replacing("    due: 2d\n", with: "    wait: forever\n")
        let found = findings(text)
        #expect(found.contains("f.yaml:16:7: error: stage \"draft\" has reminders but no due time to remind about"))
        #expect(found.contains("f.yaml:20:7: error: stage \"draft\" escalates overdue work but has no due time"))
    }

    @Test func missingTopLevelKeys() {
        #expect(findings("title: only a title\n").contains("f.yaml:1:1: error: the workflow has no \"name\""))
    }

    @Test func namesMustBeWellFormed() {
        let found = findings(replacing("name: tiny", with: "name: Tiny_Program"))
        #expect(found == ["f.yaml:1:7: error: name \"Tiny_Program\" must be kebab-case, e.g. exec-post"])
    }

    @Test func timersCannotSupplyComments() {
        let text = valid + "  expire:\n    from: review\n    to: done\n    after: 3d\n    requires: [comment]\n"
        #expect(
            findings(text).contains(
                "f.yaml:49:15: error: timer expire requires a comment or data that the system cannot supply"))
    }

    @Test func transitionsNobodyMayFire() {
        let text = valid + "  orphan:\n    from: review\n    to: done\n"
        #expect(findings(text) == ["f.yaml:45:3: error: nobody may fire orphan: give it roles, or an after: timer"])
    }

    @Test func anchorsAreRefused() {
        let text = replacing("title: A tiny program", with: "title: &t A tiny program\ndescription: *t")
        #expect(findings(text).contains { $0.contains("anchors and aliases") })
    }

    @Test func dateBasedDueNeedsTheField() {
        let text = replacing(
            "    assignee: coach\n    due: 1d\n", with: "    assignee: coach\n    due: {before: publish_at, by: 1d}\n")
        #expect(
            findings(text) == [
                "f.yaml:30:3: warning: stage \"review\" is due relative to publish_at, but submit enters it without requiring publish_at, and not every way to draft sets it; add it to requires"
            ])
    }

    /// The date may be set several steps before the stage that needs it: every path from the
    /// initial stage is followed, not only the transition just before.
    @Test func dateBasedDueFollowsEveryPathIn() {
        let due = replacing(
            "    assignee: coach\n    due: 1d\n", with: "    assignee: coach\n    due: {before: publish_at, by: 1d}\n")
        let planned =
            due.replacingOccurrences(of: "initial: draft", with: "initial: plan")
            .replacingOccurrences(
                of: "stages:\n", with: "stages:\n  plan:\n    title: Plan\n    assignee: author\n    due: 1d\n"
            )
            .replacingOccurrences(
                of: "transitions:\n",
                with:
                    "transitions:\n  planned:\n    from: plan\n    to: draft\n    roles: [author]\n    requires: [publish_at]\n"
            )
        #expect(findings(planned) == [], "set two steps before review, on the only way in")
        let shortcut = planned.replacingOccurrences(
            of: "transitions:\n", with: "transitions:\n  skip:\n    from: plan\n    to: review\n    roles: [author]\n")
        #expect(
            findings(shortcut).contains {
                $0.contains("skip enters it without requiring publish_at, and not every way to plan sets it")
            }, "\(findings(shortcut))")
        // And through it, submit too: plan, skip, send_back, submit reaches review without the date.
        #expect(findings(shortcut).contains { $0.contains("submit enters it without requiring publish_at") })
    }
}
