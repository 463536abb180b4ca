public import Logging
import Foundation

/// One JSON object per line, for log collectors in production (`--log-format json`).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        fields["ts"] = Date().formatted(.iso8601)
        fields["level"] = event.level.rawValue
        fields["message"] = "\(event.message)"
        fields["logger"] = label
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }
}

public enum LoggingSetup {
    /// Installs the process-wide log handler once, at start.
    public static func bootstrap(format: ServeConfiguration.LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .json: JSONLogHandler(label: label)
            case .text: StreamLogHandler.standardError(label: label)
            }
            handler.logLevel = level
            return RedactingLogHandler(handler)
        }
    }
}

/// Removes credentials from text bound for the log: `Bearer` tokens, and the value of any field whose
/// name says it holds a secret (`password`, `new_password`, `currentPassword`, `token`, `secret`,
/// `authorization`, in JSON, `key: value` or `key=value` spelling). The service never hands such text
/// to a logger on purpose (see `ProblemMiddleware`); this is the net under a dependency that does.
public enum LogRedaction {
    // Regex values are not Sendable, so each scrub builds its own (literals compile at build time).
    static var bearer: Regex<(Substring, Substring)> { #/(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+/# }
    static var secretField: Regex<(Substring, Substring, Substring)> {
        #/(?i)("?[a-z_]*(?:password|token|secret|authorization)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;)\]}]+)/#
    }

    /// `text` with every secret replaced by `[redacted]`.
    public static func scrub(_ text: String) -> String {
        guard text.range(of: "bearer", options: .caseInsensitive) != nil || text.range(of: "password", options: .caseInsensitive) != nil
              || text.range(of: "token", options: .caseInsensitive) != nil || text.range(of: "secret", options: .caseInsensitive) != nil
              || text.range(of: "authorization", options: .caseInsensitive) != nil else { return text }
        var result = text.replacing(bearer) { "\($0.output.1)[redacted]" }
        result = result.replacing(secretField) { "\($0.output.1)[redacted]" }
        return result
    }
}

/// Wraps the process's log handler so every message and metadata value passes `LogRedaction.scrub`.
public struct RedactingLogHandler: LogHandler {
    public var wrapped: any LogHandler

    public init(_ wrapped: any LogHandler) { self.wrapped = wrapped }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(LogRedaction.scrub("\(event.message)"))"
        event.metadata = event.metadata.map { $0.mapValues(Self.scrub) }
        wrapped.log(event: event)
    }

    static func scrub(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case let .string(text): .string(LogRedaction.scrub(text))
        case let .stringConvertible(convertible): .string(LogRedaction.scrub(convertible.description))
        case let .array(values): .array(values.map(scrub))
        case let .dictionary(values): .dictionary(values.mapValues(scrub))
        }
    }
}
