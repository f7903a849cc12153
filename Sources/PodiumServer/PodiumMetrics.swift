import Metrics
public import Prometheus

/// The process's metrics backend: swift-metrics into a Prometheus registry, with the names
/// Prometheus conventions ask for (`promtool check metrics` passes): counters end in `_total`,
/// durations in `_seconds`, no dots. Hummingbird's HTTP metrics are renamed on their way in.
public enum PodiumMetrics {
    /// Hummingbird's metric names and what Podium exports them as.
    static let renamed = [
        "hb.requests": "http_server_requests_total",
        "hb.request.errors": "http_server_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
        "http.server.active_requests": "http_server_active_requests",
    ]

    /// What each exported metric means (its `# HELP`), in one place: swift-metrics has no help
    /// text, so ``exposition(of:)`` adds these. `promtool check metrics` fails on a metric missing here.
    static let help = [
        "http_server_requests_total": "HTTP requests answered, by route pattern, method and status.",
        "http_server_request_errors_total":
            "HTTP requests that ended in an error, by route pattern, method and status.",
        "http_server_request_duration_seconds": "Time to answer an HTTP request, by route pattern, method and status.",
        "http_server_active_requests": "HTTP requests in flight, by method.",
        "podium_transitions_total":
            "Transitions fired by this process, by workflow, transition and outcome (moved or approval_recorded).",
        "podium_refusals_total": "Transitions refused or in conflict, by error code; nothing changed.",
        "podium_messages_total":
            "Reminder and escalation messages sent, by channel kind and outcome (delivered or failed).",
        "podium_events_total": "Outbound events posted to webhooks, by outcome (delivered or failed).",
        "podium_tasks_dead_total": "Tasks given up after their last attempt, by kind; they wait for an operator.",
        "podium_timers_fired_total": "Timer transitions fired by the worker.",
        "podium_worker_claim_round_seconds":
            "Time one claim round took: lock due tasks, deliver file and log messages, record, lease, commit.",
        "podium_worker_batch_seconds":
            "Time processing one leased batch took: timers fired, messages sent and recorded.",
        "podium_queue_due_tasks": "Tasks due and not finished (pending and due, or running), sampled every 15 s.",
        "podium_queue_oldest_due_age_seconds":
            "How long the oldest unfinished due task has been due, sampled every 15 s.",
        "podium_stuck_items":
            "Open items that need a person, by reason (an item may have several), sampled every minute.",
        "podium_pool_connections": "Database connections of a pool, by pool and state (open or in_use).",
        "podium_pool_waiting": "Callers waiting for a database connection, by pool.",
    ]

    /// The registry in Prometheus's text format, with a `# HELP` line before each metric's `# TYPE`.
    public static func exposition(of registry: PrometheusCollectorRegistry) -> [UInt8] {
        var text = ""
        for line in registry.emitToString().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first,
                let meaning = help[String(name)]
            {
                text += "# HELP \(name) \(meaning)\n"
            }
            text += line + "\n"
        }
        return Array(text.dropLast().utf8)
    }

    /// Bootstraps swift-metrics for this process (once: swift-metrics allows one bootstrap) and
    /// returns the registry `/metrics` reads.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (
                renamed[name] ?? name.replacingDots(),
                labels.map { ($0.0.replacingDots(), $0.1) }
            )
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
