public import AccreditationCore
import Foundation

/// Why a workflow operation did not happen. Nothing was written in any of these cases.
public enum WorkflowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such record (or, at the API, not visible to the caller).
    case notFound(String)
    /// The caller acted on an old version; `current` is the version now stored.
    case stale(expected: Int, current: Int)
    case refused(Refusal)
    /// Input that breaks a rule of the record itself (not a transition guard).
    case invalid(String)

    public var description: String {
        switch self {
        case let .notFound(what): "\(what) was not found."
        case let .stale(expected, current): "Version \(expected) is stale; the record is at version \(current). Reload and try again."
        case let .refused(refusal): refusal.description
        case let .invalid(reason): reason
        }
    }
}

/// The answer to a fired transition: the new state and the version to send next time.
public struct Fired: Sendable, Equatable {
    public let state: String
    public let version: Int
}

/// A stored value that no longer decodes into its domain type (a state, pathway or mode the code does not
/// know). Read models fail loudly with this instead of defaulting; it answers 500.
public struct CorruptRecord: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
