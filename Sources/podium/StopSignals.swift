import Foundation
import Logging
import Synchronization

/// SIGTERM and SIGINT for long-running commands (`worker`, `serve`): a plain C handler sets an
/// atomic flag (the only thing a signal handler may safely do), and a task turns the flag into a
/// graceful stop. Dispatch signal sources lost a SIGTERM now and then under load, leaving a
/// process nobody could stop; this handler never has.
enum StopSignals {
    /// Installs the handler; call it first thing, so a SIGTERM from then on asks for a stop
    /// instead of killing the process.
    static func `catch`() {
        for number in [SIGTERM, SIGINT] {
            signal(number) { _ in stopSignalReceived.store(true, ordering: .relaxed) }
        }
    }

    /// Waits for a stop signal, calls `stopping` (a service group's graceful shutdown: what is in
    /// hand is finished), and ends the process with 0 if that takes longer than `grace`.
    /// Returns early when its task is cancelled (the process ended on its own).
    static func stop(within grace: Duration, logger: Logger, by stopping: @Sendable () async -> Void) async {
        while !stopSignalReceived.load(ordering: .relaxed) {
            guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return }
        }
        logger.info("stop requested; finishing what is in hand")
        await stopping()
        guard (try? await Task.sleep(for: grace)) != nil else { return }
        logger.warning("still busy \(grace) after the stop request; ending now")
        Foundation.exit(0)
    }
}

/// Set by the SIGTERM and SIGINT handler.
private let stopSignalReceived = Atomic<Bool>(false)
