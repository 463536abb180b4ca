public import Logging
public import Persistence
public import AccreditationCore
import Foundation

/// Everything `apex serve` needs, resolved once at start (flags over environment over defaults) and
/// passed down. Nothing below reads the environment itself.
public struct ServeConfiguration: Sendable, Equatable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Holds the embedded PostgreSQL cluster and, unless `evidenceFolder` says otherwise, the evidence files.
    public var dataFolder: String = ".apex"
    /// An external PostgreSQL; when nil apex runs its own in `dataFolder`.
    public var database: DatabaseSettings? = nil
    public var postgresBinaries: String? = nil
    public var standardsFolder: String = "Standards"
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// Largest JSON request body accepted; uploads have their own limit.
    public var jsonBodyLimit: Int = 1 << 20
    /// How often due workflow timers are fired; nil switches the scheduler off (tests drive it directly).
    public var timerInterval: Duration? = .seconds(30)
    /// Programme timings: deadlines, reminders, the level-2 threshold.
    public var workflow = WorkflowSettings()
    /// Session lifetime, sign-in lockout limits, bcrypt cost.
    public var accounts = AccountSettings()
    /// Added to each failed sign-in's answer per failure in a row (slows guessing).
    public var loginFailureDelay: Duration = .milliseconds(250)
    /// Where evidence files are stored; nil: `evidence` inside the data folder.
    public var evidenceFolder: String? = nil
    /// Largest evidence upload accepted, in bytes (enforced while streaming).
    public var maxUploadBytes: Int64 = 100 << 20
    /// How long a token's person is remembered between database checks; 0 checks on every request.
    public var sessionCacheSeconds: Double = 2
    /// Longest a request (other than an upload) may take before it is cancelled and answered 503.
    public var requestDeadline: Duration = .seconds(30)
    /// After SIGINT/SIGTERM: how long in-flight requests may finish before they are cancelled, and how
    /// long cancellation may take before the process stops regardless.
    public var shutdownGrace: Duration = .seconds(15)
    /// Longer than the database client's connect timeout (10 s): a pool cancelled while it connects waits that long.
    public var shutdownCancellationLimit: Duration = .seconds(30)
    /// The change listener's heartbeat (see `ApplicationCache`); tests shorten it.
    public var listenerHeartbeat = ListenerHeartbeat()
    /// Where people reach the portal (e.g. `https://apex.example.org` behind a proxy): the origin forms
    /// must come from, and https makes the session cookie `__Host-` and Secure. nil: the request's Host
    /// over plain HTTP (a developer's machine).
    public var publicOrigin: String?
    /// Seed the demonstration data on start (once; later starts find it there).
    public var demo = false

    /// The evidence folder in effect.
    public var evidenceRoot: String { evidenceFolder ?? (dataFolder as NSString).appendingPathComponent("evidence") }

    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    public init() {}

    /// What the command line said; nil means "not given".
    public struct Flags: Sendable {
        public var host: String?
        public var port: Int?
        public var dataFolder: String?
        public var databaseURL: String?
        public var postgresBinaries: String?
        public var standardsFolder: String?
        public var logLevel: String?
        public var logFormat: String?
        public var workflowSettings: String?
        public var evidenceFolder: String?
        public var maxUploadBytes: String?
        public var requestDeadline: String?
        public var shutdownGrace: String?
        public var publicOrigin: String?
        public init() {}
    }

    /// The environment variables read, beside the flag each one backs. Listed once so `--help` and
    /// the resolution below cannot drift apart.
    public enum Variable: String, CaseIterable, Sendable {
        case host = "APEX_HOST"
        case port = "APEX_PORT"
        case dataFolder = "APEX_DATA_DIR"
        case databaseURL = "DATABASE_URL"
        case postgresBinaries = "APEX_PG_BIN"
        case standardsFolder = "APEX_STANDARDS_DIR"
        case logLevel = "APEX_LOG_LEVEL"
        case logFormat = "APEX_LOG_FORMAT"
        case workflowSettings = "APEX_WORKFLOW_SETTINGS"
        case evidenceFolder = "APEX_EVIDENCE_DIR"
        case maxUploadBytes = "APEX_MAX_UPLOAD_BYTES"
        case requestDeadline = "APEX_REQUEST_DEADLINE"
        case shutdownGrace = "APEX_SHUTDOWN_GRACE"
        case publicOrigin = "APEX_PUBLIC_ORIGIN"
    }

    public static func resolve(flags: Flags, environment: [String: String]) throws -> ServeConfiguration {
        func value(_ flag: String?, _ variable: Variable) -> (String, source: String)? {
            if let flag { return (flag, "--\(flagName(variable))") }
            if let env = environment[variable.rawValue], !env.isEmpty { return (env, variable.rawValue) }
            return nil
        }
        var configuration = ServeConfiguration()
        if let (host, _) = value(flags.host, .host) { configuration.host = host }
        if let port = flags.port {
            configuration.port = try checkedPort(port, source: "--port")
        } else if let (text, source) = value(nil, .port) {
            guard let port = Int(text) else {
                throw ConfigurationError(source: source, value: text, expected: "a port number from 0 to 65535")
            }
            configuration.port = try checkedPort(port, source: source)
        }
        if let (folder, source) = value(flags.dataFolder, .dataFolder) {
            guard !folder.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigurationError(source: source, value: folder, expected: "a folder path")
            }
            configuration.dataFolder = folder
        }
        if let (url, source) = value(flags.databaseURL, .databaseURL) {
            do {
                configuration.database = try DatabaseSettings(url: url)
            } catch let error as DatabaseSettingsError {
                throw ConfigurationError(source: source, value: "(not shown: it may hold a password)", expected: error.description)
            }
        }
        if let (folder, _) = value(flags.postgresBinaries, .postgresBinaries) { configuration.postgresBinaries = folder }
        if let (folder, _) = value(flags.standardsFolder, .standardsFolder) { configuration.standardsFolder = folder }
        if let (text, source) = value(flags.logLevel, .logLevel) {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(source: source, value: text, expected: "one of \(names)")
            }
            configuration.logLevel = level
        }
        if let (text, source) = value(flags.logFormat, .logFormat) {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw ConfigurationError(source: source, value: text, expected: "text or json")
            }
            configuration.logFormat = format
        }
        if let (path, _) = value(flags.workflowSettings, .workflowSettings) {
            configuration.workflow = try WorkflowSettingsFile.load(path)
        }
        if let (folder, source) = value(flags.evidenceFolder, .evidenceFolder) {
            guard !folder.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigurationError(source: source, value: folder, expected: "a folder path")
            }
            configuration.evidenceFolder = folder
        }
        if let (text, source) = value(flags.maxUploadBytes, .maxUploadBytes) {
            guard let bytes = Int64(text), (1...(1 << 40)).contains(bytes) else {
                throw ConfigurationError(source: source, value: text, expected: "a whole number of bytes from 1 to 1099511627776")
            }
            configuration.maxUploadBytes = bytes
        }
        if let (text, source) = value(flags.requestDeadline, .requestDeadline) {
            configuration.requestDeadline = .seconds(try seconds(text, source: source))
        }
        if let (text, source) = value(flags.shutdownGrace, .shutdownGrace) {
            configuration.shutdownGrace = .seconds(try seconds(text, source: source))
        }
        if let (text, source) = value(flags.publicOrigin, .publicOrigin) {
            configuration.publicOrigin = try origin(text, source: source)
        }
        return configuration
    }

    public static func flagName(_ variable: Variable) -> String {
        switch variable {
        case .host: "host"
        case .port: "port"
        case .dataFolder: "data-dir"
        case .databaseURL: "database-url"
        case .postgresBinaries: "pg-bin"
        case .standardsFolder: "standards-dir"
        case .logLevel: "log-level"
        case .logFormat: "log-format"
        case .workflowSettings: "workflow-settings"
        case .evidenceFolder: "evidence-dir"
        case .maxUploadBytes: "max-upload-bytes"
        case .requestDeadline: "request-deadline"
        case .shutdownGrace: "shutdown-grace"
        case .publicOrigin: "public-origin"
        }
    }

    /// Whole seconds from 1 to 3600, written in plain digits.
    private static func seconds(_ text: String, source: String) throws -> Int {
        guard let value = PlainInteger.parse(text), (1...3600).contains(value) else {
            throw ConfigurationError(source: source, value: text, expected: "a whole number of seconds from 1 to 3600")
        }
        return Int(value)
    }

    /// `http(s)://host[:port]`, nothing after it: the form a browser's `Origin` header has.
    private static func origin(_ text: String, source: String) throws -> String {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil else {
            throw ConfigurationError(source: source, value: text, expected: "an origin such as https://apex.example.org (scheme, host and optional port only)")
        }
        return trimmed.lowercased()
    }

    private static func checkedPort(_ port: Int, source: String) throws -> Int {
        guard (0...65535).contains(port) else {
            throw ConfigurationError(source: source, value: String(port), expected: "a port number from 0 to 65535")
        }
        return port
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let value: String
    public let expected: String
    public init(source: String, value: String, expected: String) {
        self.source = source
        self.value = value
        self.expected = expected
    }

    public var description: String { "Invalid \(source) value \(value): expected \(expected)." }
}
