import Foundation
import Metrics
import PodiumCore

/// What the worker counts and times, through swift-metrics (exported by `podium worker
/// --metrics-port` and `podium serve --with-worker`; free elsewhere).
enum WorkerMetrics {
    /// One message of a reminder or escalation: `delivered` or `failed`, by channel kind.
    static func message(on channel: DeliveryChannel, failed: Bool) {
        Counter(
            label: "podium_messages_total",
            dimensions: [("channel", channel.kind), ("outcome", failed ? "failed" : "delivered")]
        ).increment()
    }

    /// A task given up after its last attempt (now `dead`, for an operator), by kind.
    static func dead(kind: String) {
        Counter(label: "podium_tasks_dead_total", dimensions: [("kind", kind)]).increment()
    }

    /// One outbound event posted to a webhook: `delivered` or `failed`.
    static func event(failed: Bool) {
        Counter(label: "podium_events_total", dimensions: [("outcome", failed ? "failed" : "delivered")]).increment()
    }

    /// A timer that fired its transition.
    static func timerFired() {
        Counter(label: "podium_timers_fired_total").increment()
    }

    /// How long one claim round took (lock, deliver what is local, record, lease, commit).
    static func claimRound(_ duration: Duration) {
        Timer(label: "podium_worker_claim_round_seconds", preferredDisplayUnit: .seconds).record(duration: duration)
    }

    /// How long processing one leased batch took (timers fired, messages sent and recorded).
    static func batch(_ duration: Duration) {
        Timer(label: "podium_worker_batch_seconds", preferredDisplayUnit: .seconds).record(duration: duration)
    }
}
