import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Logging
import PodiumCore
import PodiumTestSupport
import PodiumWorker
import Synchronization
import Testing
import WorkflowEngine

/// A webhook receiver on a real socket: records what it is sent, and answers 503 to the first
/// `failures` requests, as a receiver that is down would.
private final class Receiver: Sendable {
    struct Received: Sendable {
        let body: Data
        let signature: String?
    }

    let failures: Int
    private let state = Mutex<(requests: Int, received: [Received])>((0, []))

    init(failures: Int) { self.failures = failures }

    var received: [Received] { state.withLock { $0.received } }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post("/events") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = Data(buffer: try await request.collectBody(upTo: 1 << 20))
            let signature = request.headers[HTTPField.Name("X-Podium-Signature")!]
            return self.state.withLock { state in
                state.requests += 1
                guard state.requests > self.failures else { return .serviceUnavailable }
                state.received.append(Received(body: body, signature: signature))
                return .noContent
            }
        }
        return Application(router: router)
    }
}

@Suite("Every history entry reaches the webhooks subscribed to it")
struct EventTests {
    @Test func eventsSurviveAReceiverThatIsDownAndCarryIdsRevisionsAndSignatures() async throws {
        try await EngineFixture.run { fixture in
            let receiver = Receiver(failures: 2)
            try await receiver.application().test(.live) { client in
                let port = try #require(client.port)
                let hooks = WebhookStore(pool: fixture.pool)
                await #expect(throws: PodiumError.self) {
                    _ = try await hooks.add(
                        url: "http://127.0.0.1:\(port)/events", events: [], workflow: nil, by: "alice")
                }
                await #expect(throws: PodiumError.self) {
                    _ = try await hooks.add(url: "ftp://example.com/x", events: [], workflow: nil, by: "carol")
                }
                let hook = try await hooks.add(
                    url: "http://127.0.0.1:\(port)/events", events: [], workflow: "exec-post", by: "carol")
                let engine = fixture.engine()
                let item = try await fixture.item("exec-post", title: "Three things")
                _ = try await engine.fire(item: item.id, transition: "start_draft", actor: "alice")
                try await engine.comment(item: item.id, actor: "alice", text: "Starting now")
                // Another workflow's items are not this webhook's.
                _ = try await engine.create(
                    workflow: "open-door", title: "Why remote?", author: "carol",
                    participants: [Participant(role: "executive", actor: "alice")], data: [:])
                #expect(try await hooks.list().first?.pending == 3)

                let secret = "s3cret-for-test"
                let worker = Worker(
                    pool: fixture.pool, options: WorkerOptions(concurrency: 1, retryDelay: .seconds(0)),
                    time: SystemTime(), environment: [Deliverer.secretVariable: secret], owner: "test-worker",
                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
                let summary = try await worker.runOnce()
                #expect(summary.eventsDelivered == 3, "\(summary)")

                let events = try receiver.received.map { received in
                    let object = try #require(try JSONSerialization.jsonObject(with: received.body) as? [String: Any])
                    let expected = HMAC<SHA256>.authenticationCode(
                        for: received.body, using: SymmetricKey(data: Data(secret.utf8)))
                    #expect(received.signature == "sha256=" + expected.map { String(format: "%02x", $0) }.joined())
                    return object
                }
                #expect(events.count == 3, "\(events)")
                let history = try await engine.history(item.id)
                #expect(Set(events.compactMap { $0["id"] as? String }) == Set(history.map { "evt_\($0.id)" }))
                let byType = Dictionary(uniqueKeysWithValues: events.map { ($0["type"] as? String ?? "", $0) })
                // Each event carries the revision its entry left the item at.
                #expect((byType["create"]?["item"] as? [String: Any])?["revision"] as? Int == 1)
                #expect((byType["transition"]?["item"] as? [String: Any])?["revision"] as? Int == 2)
                #expect((byType["transition"]?["entry"] as? [String: Any])?["via"] as? String == "cli")
                #expect((byType["comment"]?["entry"] as? [String: Any])?["comment"] as? String == "Starting now")

                let outbox = try await fixture.pool.query(
                    "select status, count(*) as n, max(attempts) as attempts from event_outbox group by status")
                #expect(outbox.rows.count == 1)
                #expect(try outbox.rows.first?.decode(String.self, "status") == "done")
                #expect(try outbox.rows.first?.decode(Int.self, "attempts") == 2, "the refused posts were retried")

                // Events given up come back when an operator says the receiver is fixed.
                try await fixture.pool.execute(
                    "update event_outbox set status = 'dead' where history_id = \(history[0].id)")
                #expect(try await hooks.list().first?.dead == 1)
                #expect(try await hooks.retryDead(hook.id, by: "carol", dryRun: true) == 1)
                await #expect(throws: PodiumError.self) {
                    _ = try await hooks.retryDead(hook.id, by: "alice", dryRun: false)
                }
                #expect(try await hooks.retryDead(hook.id, by: "carol", dryRun: false) == 1)
                #expect(try await worker.runOnce().eventsDelivered == 1)
                #expect(receiver.received.count == 4, "delivered again, with the same event id")

                // A removed subscription gets nothing new.
                try await hooks.remove(hook.id, by: "carol")
                _ = try await engine.fire(
                    item: item.id, transition: "withdraw", actor: "alice", comment: "not now")
                #expect(try await worker.runOnce().eventsDelivered == 0)
                #expect(receiver.received.count == 4)
            }
        }
    }
}
