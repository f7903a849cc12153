import Foundation
import Testing
import WorkflowEngine
import WorkflowLanguage

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func shippedWorkflow(_ name: String) throws -> WorkflowDefinition {
    let text = try String(contentsOf: repository.appendingPathComponent("Workflows/\(name).yaml"), encoding: .utf8)
    return try #require(WorkflowParser.check(text).validDefinition)
}

private let monday = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02 09:00 UTC

private func item(stage: String, data: [String: String] = [:], author: String = "alice") -> ItemState {
    ItemState(
        id: 42, stage: stage, data: data,
        participants: [
            Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
        ],
        stageAuthor: author, stageEnteredAt: monday)
}

private let alice = ActorIdentity(handle: "alice")
private let bob = ActorIdentity(handle: "bob")

@Suite("The decision core refuses with reasons and what would work")
struct DecisionTests {
    @Test func transitionNotPossibleFromTheStage() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let decision = decider.decide(FireRequest(transition: "approve", actor: bob), for: item(stage: "draft"))
        #expect(
            decision
                == .refused(
                    Refusal(
                        reason: .wrongStage,
                        message: "approve is not possible from draft; from draft: submit (executive), "
                            + "withdraw (executive, community_manager)")))
    }

    @Test func actorWithoutTheRole() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let decision = decider.decide(
            FireRequest(transition: "request_changes", actor: alice, comment: "x"), for: item(stage: "private_review"))
        #expect(decision == .refused(Refusal(reason: .notPermitted, message: "alice is not a coach on item 42")))
    }

    @Test func globalRolesCount() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let carol = ActorIdentity(handle: "carol", globalRoles: ["community_manager"])
        let decision = decider.decide(
            FireRequest(transition: "published", actor: carol, dataChanges: ["url": "https://x"]),
            for: item(stage: "publish"))
        guard case .move(let move) = decision else {
            Issue.record("expected a move, got \(decision)")
            return
        }
        #expect(move.role == "community_manager")
        #expect(move.dataChanges == ["url": "https://x"])
        #expect(move.data["url"] == "https://x")
    }

    @Test func missingRequirementsAreListed() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let decision = decider.decide(FireRequest(transition: "submit", actor: alice), for: item(stage: "draft"))
        #expect(
            decision == .refused(Refusal(reason: .missingRequirements, message: "submit requires: body, publish_at")))
        let blankComment = decider.decide(
            FireRequest(transition: "request_changes", actor: bob, comment: "   "), for: item(stage: "private_review"))
        #expect(
            blankComment
                == .refused(Refusal(reason: .missingRequirements, message: "request_changes requires: comment")))
    }

    @Test func closedItemsRefuseEverything() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        var closed = item(stage: "done")
        closed.isClosed = true
        let decision = decider.decide(FireRequest(transition: "withdraw", actor: alice, comment: "x"), for: closed)
        #expect(
            decision
                == .refused(
                    Refusal(reason: .closed, message: "item 42 is closed (in done); it takes no more transitions")))
    }

    @Test func timersOnlyAndSystemOnlyForTimers() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let byPerson = decider.decide(
            FireRequest(transition: "close_dialogue", actor: alice), for: item(stage: "follow_up"))
        #expect(
            byPerson
                == .refused(
                    Refusal(reason: .timerOnly, message: "close_dialogue is fired by its timer only (after 1w)")))
        let bySystem = decider.decide(
            FireRequest(transition: "close_dialogue", actor: .system), for: item(stage: "follow_up"))
        guard case .move(let move) = bySystem else {
            Issue.record("the timer must fire")
            return
        }
        #expect(move.role == "system" && move.closesItem)
        let systemWithoutTimer = decider.decide(
            FireRequest(transition: "wrap_up", actor: .system), for: item(stage: "follow_up"))
        guard case .refused(let refusal) = systemWithoutTimer else {
            Issue.record("system must not fire wrap_up")
            return
        }
        #expect(refusal.reason == .notPermitted)
    }

    @Test func unknownTransitionSuggestsAndListsOptions() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let decision = decider.decide(FireRequest(transition: "submt", actor: alice), for: item(stage: "draft"))
        guard case .refused(let refusal) = decision else {
            Issue.record("must refuse")
            return
        }
        #expect(refusal.message.contains("did you mean submit?"))
        #expect(refusal.message.contains("from draft: submit (executive)"))
    }

    @Test func approvalsCountDistinctPeopleAndNeverTheAuthor() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("start-small"))
        var state = ItemState(
            id: 7, stage: "feedback", data: [:],
            participants: [
                Participant(role: "executive", actor: "dana"), Participant(role: "coach", actor: "eli"),
                Participant(role: "coach", actor: "fay"), Participant(role: "community_manager", actor: "carol"),
            ],
            stageAuthor: "dana", stageEnteredAt: monday)
        let eli = ActorIdentity(handle: "eli")
        let first = decider.decide(FireRequest(transition: "graduate", actor: eli, comment: "yes"), for: state)
        guard case .approvalRecorded(let progress) = first else {
            Issue.record("expected an approval")
            return
        }
        #expect(progress.needed == 3 && progress.approvers == ["eli"] && !progress.wasAlreadyCounted)
        state.approvals = [Approval(transition: "graduate", actor: "eli")]
        let again = decider.decide(FireRequest(transition: "graduate", actor: eli, comment: "yes"), for: state)
        guard case .approvalRecorded(let repeated) = again else {
            Issue.record("expected an approval")
            return
        }
        #expect(repeated.approvers == ["eli"] && repeated.wasAlreadyCounted)
        state.stageAuthor = "fay"
        let own = decider.decide(
            FireRequest(transition: "graduate", actor: ActorIdentity(handle: "fay"), comment: "me"), for: state)
        guard case .refused(let refusal) = own else {
            Issue.record("the author must not approve")
            return
        }
        #expect(refusal.reason == .ownWork)
    }
}

@Suite("Scheduling is arithmetic")
struct ScheduleTests {
    @Test func remindersEscalationAndTimersOfAStage() throws {
        let definition = try shippedWorkflow("exec-post")
        let listen = try #require(definition.stage("listen"))
        let tasks = StageSchedule.tasks(for: listen, in: definition, enteredAt: monday, data: [:], calendar: nil)
        let day: TimeInterval = 86_400
        #expect(
            tasks.map(\.label) == [
                "1d before due", "at due", "overdue 1 of 2", "escalation to community_manager", "overdue 2 of 2",
            ])
        #expect(tasks.map(\.runAt) == [2, 3, 4, 5, 5].map { monday.addingTimeInterval($0 * day) })
        #expect(tasks.filter { $0.kind == .reminder }.map(\.sequence) == [1, 2, 3, 4])
        #expect(tasks.first { $0.kind == .escalation }?.recipientRole == "community_manager")
        #expect(tasks.first?.recipientRole == "executive")
    }

    @Test func dueTimesCanHangOnADateInTheData() throws {
        let definition = try shippedWorkflow("exec-post")
        let review = try #require(definition.stage("private_review"))
        let data = ["publish_at": "2026-03-10T09:00:00Z"]
        #expect(
            StageSchedule.dueTime(of: review, enteredAt: monday, data: data, calendar: nil)
                == StageSchedule.parseDate("2026-03-09T09:00:00Z"))
        #expect(
            StageSchedule.dueTime(of: review, enteredAt: monday, data: ["publish_at": "next week"], calendar: nil)
                == nil)
        let publish = try #require(definition.stage("publish"))
        #expect(
            StageSchedule.dueTime(of: publish, enteredAt: monday, data: ["publish_at": "2026-03-10"], calendar: nil)
                == StageSchedule.parseDate("2026-03-10T00:00:00Z"))
    }

    @Test func timersAndTerminalStages() throws {
        let definition = try shippedWorkflow("exec-post")
        let followUp = StageSchedule.tasks(
            for: try #require(definition.stage("follow_up")), in: definition, enteredAt: monday, data: [:],
            calendar: nil)
        #expect(followUp.map(\.kind) == [.timer])
        #expect(followUp.first?.runAt == monday.addingTimeInterval(7 * 86_400))
        #expect(followUp.first?.transition == "close_dialogue")
        #expect(
            StageSchedule.tasks(
                for: try #require(definition.stage("done")), in: definition, enteredAt: monday, data: [:],
                calendar: nil
            ).isEmpty)
    }

    @Test func remindersThatWouldFallBeforeEnteringAreClamped() throws {
        let definition = try shippedWorkflow("exec-post")
        let review = try #require(definition.stage("private_review"))
        let soon = ["publish_at": "2026-03-02T12:00:00Z"]  // due at 2026-03-01 12:00, already past
        let tasks = StageSchedule.tasks(for: review, in: definition, enteredAt: monday, data: soon, calendar: nil)
        #expect(tasks.allSatisfy { $0.runAt >= monday })
    }
}
