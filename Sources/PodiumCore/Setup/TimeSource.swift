public import Foundation

/// Where "now" comes from. Scheduling is arithmetic on the instant this returns, so tests and
/// demos run weeks of a coaching program in milliseconds by handing in their own.
public protocol TimeSource: Sendable {
    func now() -> Date
}

/// The real clock.
public struct SystemTime: TimeSource {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that stands still at a given instant (`PODIUM_NOW` for the CLI, tests).
public struct FixedTime: TimeSource {
    public let instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public func now() -> Date { instant }
}

/// `base` read as PostgreSQL stores instants: rounded to the microsecond, as LibPQ sends them.
/// A worker compares times in Swift (working hours) and in SQL (`run_at <= now`); reading both
/// from one precision keeps a task held until an instant from being due again "now" (a clock at
/// 12:59:59.9999996 held a task until 13:00:00, which SQL saw as now, forever).
public struct StoredPrecisionTime: TimeSource {
    public let base: any TimeSource
    public init(_ base: any TimeSource) { self.base = base }
    public func now() -> Date {
        Date(timeIntervalSince1970: (base.now().timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
    }
}
