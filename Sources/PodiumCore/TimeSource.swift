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
