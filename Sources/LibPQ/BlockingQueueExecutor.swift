import Dispatch

/// A serial executor backed by a private dispatch queue, so that an actor using it can make
/// blocking libpq calls without occupying a thread of Swift's cooperative pool.
///
/// `DispatchQueue(label:)` targets libdispatch's overcommitting root queue, which starts another
/// thread when its threads are blocked; the cooperative pool (one thread per core) never waits
/// on a socket. Jobs of one actor still run one at a time, in order.
final class BlockingQueueExecutor: SerialExecutor {
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
