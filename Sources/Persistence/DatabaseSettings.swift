import Foundation
public import PostgresNIO

/// Where the database is and how to log in, parsed from a `postgres://` URL or given by the embedded server.
public struct DatabaseSettings: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// When set, every session runs as this role (`apex_service`): the login role migrates, the service
    /// role works, and cannot touch the history.
    public var sessionRole: String?

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String, tls: TLSMode = .disable) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`
    /// (also `postgresql://`). A Unix socket folder may be given as `?host=/path/to/folder`.
    public init(url string: String) throws {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme?.lowercased() else {
            throw DatabaseSettingsError.malformed("it is not a URL; expected postgres://user:password@host:5432/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseSettingsError.malformed("the scheme is '\(scheme)'; expected postgres:// or postgresql://")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        for key in query.keys where !["sslmode", "host"].contains(key) {
            throw DatabaseSettingsError.malformed("unsupported parameter '\(key)'; only sslmode and host are understood")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw DatabaseSettingsError.malformed("it names no database; expected postgres://user@host:5432/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseSettingsError.malformed("it names no user; expected postgres://user@host:5432/database")
        }
        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            let port = components.port ?? 5432
            endpoint = .unixSocket(path: socketFolder + "/.s.PGSQL.\(port)")
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw DatabaseSettingsError.malformed("it names no host; expected postgres://user@host:5432/database")
            }
            if let port = components.port, !(1...65535).contains(port) {
                throw DatabaseSettingsError.malformed("port \(port) is out of range")
            }
            endpoint = .tcp(host: host, port: components.port ?? 5432)
        }
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "allow", "prefer": tls = .prefer
        case "require", "verify-ca", "verify-full": tls = .require
        case let other: throw DatabaseSettingsError.malformed("sslmode '\(other)' is not one of disable, prefer, require")
        }
        username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? user
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database
    }

    /// For logs: never includes the password.
    public var redacted: String {
        switch endpoint {
        case let .tcp(host, port): return "postgres://\(username)@\(host):\(port)/\(database)"
        case let .unixSocket(path): return "postgres://\(username)@\(database) via socket \(path)"
        }
    }

    /// Host (or socket) for error messages.
    public var location: String {
        switch endpoint {
        case let .tcp(host, port): return "\(host):\(port)"
        case let .unixSocket(path): return path
        }
    }

    /// The same server and login, working as the service role.
    public var asService: DatabaseSettings {
        var copy = self
        copy.sessionRole = "apex_service"
        return copy
    }

    public func with(database: String) -> DatabaseSettings {
        var copy = self
        copy.database = database
        return copy
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case let .tcp(host, port):
            let tlsSetting: PostgresClient.Configuration.TLS = switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        case let .unixSocket(path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        configuration.options.connectTimeout = .seconds(5)
        if let sessionRole {
            configuration.options.additionalStartupParameters = [("role", sessionRole)]
        }
        return configuration
    }
}

public enum DatabaseSettingsError: Error, CustomStringConvertible, Equatable {
    case malformed(String)

    public var description: String {
        switch self {
        case let .malformed(reason): return "DATABASE_URL is malformed: \(reason)."
        }
    }
}
