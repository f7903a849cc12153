import Metrics

/// What the engine counts, through swift-metrics: a process that bootstraps a backend
/// (`podium serve`, `podium worker --metrics-port`) exports them; elsewhere they cost nothing.
enum EngineMetrics {
    /// A transition fired: `outcome` is `moved` or `approval_recorded`. Replays of an
    /// idempotency key changed nothing and are not counted.
    static func fired(workflow: String, transition: String, outcome: FireResult.Outcome) {
        Counter(
            label: "podium_transitions_total",
            dimensions: [("workflow", workflow), ("transition", transition), ("outcome", outcome.rawValue)]
        ).increment()
    }

    /// A fire that changed nothing, by its error code (`refused.own_work`, `conflict.revision`).
    static func refused(_ error: PodiumError) {
        Counter(label: "podium_refusals_total", dimensions: [("code", error.code)]).increment()
    }
}
