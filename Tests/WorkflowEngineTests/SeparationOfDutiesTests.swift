import Foundation
import Testing
import WorkflowEngine
import WorkflowLanguage

private let monday = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02 09:00 UTC

/// exec-post's private review: alice (executive) drafted and submitted; bob coaches.
private func inReview(
    participants: [Participant] = [
        Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "bob"),
    ],
    movedBy author: String = "alice", as role: String = "executive"
) -> ItemState {
    ItemState(
        id: 4, stage: "private_review", data: ["body": "b", "publish_at": "2026-03-10T09:00:00Z"],
        participants: participants, stageAuthor: author, stageAuthorRole: role, enteredFrom: "draft",
        stageEnteredAt: monday)
}

/// Nobody reviews or approves work they authored or moved into review, whatever gave them the
/// reviewing role: an assignment, a global role, two roles at once.
@Suite("Separation of duties, by every path")
struct SeparationOfDutiesTests {
    static let ownWork = "alice moved this item into private_review and cannot review or approve their own work"

    func decide(_ transition: String, as actor: ActorIdentity, on item: ItemState) throws -> FireDecision {
        TransitionDecider(definition: try shippedWorkflow("exec-post")).decide(
            FireRequest(transition: transition, actor: actor, comment: "ok"), for: item)
    }

    @Test func theAuthorAssignedAsCoachCannotPassHerOwnReview() throws {
        let item = inReview(participants: [
            Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "alice"),
        ])
        for transition in ["approve", "request_changes"] {
            #expect(
                try decide(transition, as: ActorIdentity(handle: "alice"), on: item)
                    == .refused(Refusal(reason: .ownWork, message: Self.ownWork)))
        }
        // Her other role still works: she may withdraw her own post.
        guard case .move = try decide("withdraw", as: ActorIdentity(handle: "alice"), on: item) else {
            Issue.record("withdraw must move")
            return
        }
    }

    @Test func aGlobalCoachCannotReviewHerOwnDraft() throws {
        let alice = ActorIdentity(handle: "alice", globalRoles: ["coach"])
        #expect(
            try decide("approve", as: alice, on: inReview())
                == .refused(Refusal(reason: .ownWork, message: Self.ownWork)))
    }

    /// The community manager submitted on alice's behalf: alice still did the draft.
    @Test func theDrafterCannotReviewWhenSomeoneElseMovedItIn() throws {
        let item = inReview(
            participants: [
                Participant(role: "executive", actor: "alice"), Participant(role: "coach", actor: "alice"),
                Participant(role: "coach", actor: "bob"),
            ], movedBy: "carol", as: "community_manager")
        #expect(
            try decide("approve", as: ActorIdentity(handle: "alice"), on: item)
                == .refused(
                    Refusal(
                        reason: .ownWork,
                        message:
                            "alice did the work under review in private_review (as executive) and cannot review or approve it"
                    )))
        guard case .move = try decide("approve", as: ActorIdentity(handle: "bob"), on: item) else {
            Issue.record("bob's approval must move the item")
            return
        }
    }

    /// `approvals: all` counts every participant in the role except the work's authors.
    @Test func approvalsAllLeaveTheAuthorOut() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("start-small"))
        let state = ItemState(
            id: 7, stage: "feedback", data: [:],
            participants: [
                Participant(role: "executive", actor: "dana"), Participant(role: "coach", actor: "dana"),
                Participant(role: "coach", actor: "eli"), Participant(role: "coach", actor: "fay"),
            ],
            stageAuthor: "dana", stageAuthorRole: "executive", enteredFrom: "open_dialogue", stageEnteredAt: monday)
        let graduate = try #require(decider.definition.transition("graduate"))
        #expect(decider.approvalsNeeded(for: graduate, on: state) == 2)
        #expect(!decider.mayFire(graduate, actor: ActorIdentity(handle: "dana"), on: state))
        #expect(decider.mayFire(graduate, actor: ActorIdentity(handle: "eli"), on: state))
    }

    /// A draft continues the executive's own work: no review there, she acts freely.
    @Test func aStageThatContinuesTheSameWorkIsNoReview() throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let draft = ItemState(
            id: 4, stage: "draft", data: [:], participants: [Participant(role: "executive", actor: "alice")],
            stageAuthor: "alice", stageAuthorRole: "executive", enteredFrom: "listen", stageEnteredAt: monday)
        #expect(decider.reviewingRole(of: draft) == nil)
        #expect(decider.reviewingRole(of: inReview()) == "coach")
    }

    @Test(
        "Only the roles a workflow names, by default the community manager, and admins assign",
        arguments: [
            ("alice", [], "coach", "alice may not assign coach on item 4; community_manager or an admin may"),
            ("bob", [], "coach", "bob may not assign coach on item 4; community_manager or an admin may"),
            ("carol", ["community_manager"], "coach", nil),
            ("root", ["admin"], "executive", nil),
            (
                "carol", ["community_manager"], "ghost",
                "exec-post has no role ghost; its roles: coach, community_manager, executive"
            ),
        ] as [(String, [String], String, String?)])
    func assigning(actor: String, roles: [String], role: String, refusal: String?) throws {
        let decider = TransitionDecider(definition: try shippedWorkflow("exec-post"))
        let result = decider.assignment(
            of: role, by: ActorIdentity(handle: actor, globalRoles: Set(roles)), on: inReview())
        switch result {
        case .success: #expect(refusal == nil)
        case .failure(let refused): #expect(refused.message == refusal)
        }
    }
}

/// Standing in keeps separation of duties for both people, and gives each principal's approval
/// its own turn.
@Suite("Separation of duties through a stand-in")
struct StandInDutiesTests {
    static let workflow = """
        name: review-two
        title: Two reviewers
        roles: {author: Writes., reviewer: Reviews., community_manager: Runs it.}
        initial: draft
        stages:
          draft: {assignee: author, due: 2d}
          review: {assignee: reviewer, due: 2d}
          done: {terminal: true}
        transitions:
          submit: {from: draft, to: review, roles: [author, community_manager]}
          send_back: {from: review, to: draft, roles: [reviewer], requires: [comment]}
          approve: {from: review, to: done, roles: [reviewer, community_manager], approvals: 2}
        """

    static func run(_ steps: String) throws -> ScenarioResult {
        let definition = try #require(WorkflowParser.check(workflow).validDefinition)
        return try Scenario.parse(
            """
            workflow: review-two.yaml
            participants: {author: eve, reviewer: [rev1, rev2]}
            actors: {carol: [community_manager], sam: [], stand: []}
            steps:
            \(steps)
            """
        ).run(against: definition)
    }

    /// Sam moved the work in for Carol: Carol, back, may not approve it either.
    @Test func thePrincipalOfAStandInsWorkNeverApprovesIt() throws {
        let result = try Self.run(
            """
              - away: carol
                delegate: sam
              - fire: submit
                as: sam
              - expect: {last_fired_by: sam for carol}
              - back: carol
              - expect_refusal:
                  fire: approve
                  as: carol
                  message: "sam moved this item into review for carol: carol cannot review or approve that work"
            """)
        #expect(result.passed, "\(result.failures)")
    }

    /// Standing in for both reviewers, one approval for each, never two for one.
    @Test func aStandInForTwoApprovesOnceForEach() throws {
        let result = try Self.run(
            """
              - fire: submit
                as: eve
              - away: rev1
                delegate: stand
              - away: rev2
                delegate: stand
              - fire: approve
                as: stand
              - expect: {approvals: {approve: 1}}
              - expect_refusal:
                  fire: approve
                  as: stand
                  message: "stand already approved approve for rev1"
            """)
        #expect(result.passed, "\(result.failures)")
    }

    /// With rev1's own approval in, the stand-in's goes to rev2, and completes the count.
    @Test func aStandInsApprovalGoesToWhoeverHasNotApproved() throws {
        let result = try Self.run(
            """
              - fire: submit
                as: eve
              - fire: approve
                as: rev1
              - away: rev1
                delegate: stand
              - away: rev2
                delegate: stand
              - fire: approve
                as: stand
              - expect: {stage: done, last_fired_by: stand for rev2}
            """)
        #expect(result.passed, "\(result.failures)")
    }
}
