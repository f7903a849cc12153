/// Lets the worker sleep until a deadline or until someone signals (a NOTIFY arrived, or a stop
/// was requested), whichever comes first. A signal with nobody waiting is remembered once.
actor Wakeup {
    private var pending = false
    private var generation = 0
    private var waiter: CheckedContinuation<Void, Never>?

    func signal() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    func wait(for timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        generation += 1
        let current = generation
        await withCheckedContinuation { continuation in
            waiter = continuation
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(current)
            }
        }
    }

    private func expire(_ expected: Int) {
        guard generation == expected, let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
