// Podium's in-process benchmarks, driven by benchmarks/run (release build), which measures the
// baselines (pgbench, a plain SQL claim loop, pgqueuer) in the same run and prints the ratios.
//
//   podium-bench validate --runs N --out FILE
//   podium-bench transitions --clients N [--items-per-client N] (--seconds S | --fires N) --runs N --out FILE
//                            (needs DATABASE_URL; PODIUM_PREPARED_STATEMENTS=off as for podium)
import Foundation
import LibPQ

/// The value after `--name`, or `fallback`.
func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let runs = option("runs").flatMap(Int.init) ?? 3
let out = option("out")
switch CommandLine.arguments.dropFirst().first {
case "validate":
    try Record.append(benchmarkValidation(stages: 500, runs: runs), to: out)
case "transitions":
    let clients = option("clients").flatMap(Int.init) ?? 1
    let environment = ProcessInfo.processInfo.environment
    var configuration = try PostgresConfiguration(environment["DATABASE_URL"] ?? "")
    // As podium itself reads it: off for a pooler in transaction mode.
    configuration.usesNamedStatements = environment["PODIUM_PREPARED_STATEMENTS"]?.lowercased() != "off"
    let sample = try await benchmarkTransitions(
        configuration: configuration,
        clients: clients, itemsPerClient: option("items-per-client").flatMap(Int.init) ?? 100,
        seconds: option("seconds").flatMap(Double.init) ?? 5, fires: option("fires").flatMap(Int.init), runs: runs)
    try Record.append([Record(name: "fire_api_\(clients)_clients", unit: "tps", sample: sample)], to: out)
default:
    FileHandle.standardError.write(Data("usage: podium-bench validate|transitions [--runs N] [--out FILE]\n".utf8))
    exit(2)
}
