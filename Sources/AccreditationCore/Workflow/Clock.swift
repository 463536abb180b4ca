public import Foundation
import Synchronization

/// Time is injected: the service reads the wall clock, tests move a manual one and never sleep.
public protocol WorkflowClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WorkflowClock {
    public init() {}
    public func now() -> Date { Date() }
}

public final class ManualClock: WorkflowClock {
    private let current: Mutex<Date>

    public init(_ start: Date) { current = Mutex(start) }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(days: Double) { current.withLock { $0 = $0.addingTimeInterval(days * 86_400) } }

    public func set(_ date: Date) { current.withLock { $0 = date } }
}
