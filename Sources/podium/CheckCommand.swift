import ArgumentParser
import Foundation
import PodiumCore

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checks invariants: every item's stage is the one its history ends in, and more.",
        discussion: """
            Lists each violated invariant with the items that break it and exits 1; prints
            "ok" and exits 0 when everything holds. Safe to run at any time, for monitoring.

            Example:
              podium check --json
            """
    )

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let violations = try await Services.open(for: .readOnlyCommand).consistency.run()
        if output.json {
            try JSONOutput.print(violations)
        } else if violations.isEmpty {
            Terminal.output("ok: no invariant is violated")
        } else {
            for violation in violations { Terminal.output("violation: \(violation)") }
        }
        if !violations.isEmpty { throw ExitCode(1) }
    }
}
