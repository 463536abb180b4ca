public import Foundation

/// The folder holding the PostgreSQL server programs.
public struct PostgresBinaries: Sendable, Equatable {
    public let folder: String

    public var initdb: String { folder + "/initdb" }
    public var pgCtl: String { folder + "/pg_ctl" }
    public var postgres: String { folder + "/postgres" }

    /// Folders searched when no folder is given: Debian's versioned layout, newest first, then PATH.
    public static func defaultSearchPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var folders = ["17", "16", "15", "14", "13"].map { "/usr/lib/postgresql/\($0)/bin" }
        folders += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"]
        folders += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return folders
    }

    /// Finds a folder with all three programs. `explicit` (from APEX_PG_BIN / --pg-bin) is the only
    /// folder searched when given, so a wrong setting is reported rather than silently bypassed.
    public static func locate(explicit: String? = nil, searchPath: [String] = defaultSearchPath()) throws -> PostgresBinaries {
        let folders = explicit.map { [$0] } ?? searchPath
        let fm = FileManager.default
        for folder in folders {
            let candidate = PostgresBinaries(folder: folder)
            if [candidate.initdb, candidate.pgCtl, candidate.postgres].allSatisfy(fm.isExecutableFile(atPath:)) {
                return candidate
            }
        }
        throw EmbeddedPostgresError.binariesNotFound(searched: explicit.map { [$0] } ?? Array(folders.prefix(6)) + ["PATH"])
    }

    /// The major version of these programs ("15"), from `postgres --version`.
    func majorVersion(runner: ProcessRunner) throws -> String {
        let result = try runner.run(postgres, ["--version"])
        guard result.status == 0 else {
            throw EmbeddedPostgresError.commandFailed(command: "postgres --version", status: result.status, output: result.output)
        }
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        let version = result.output.split(separator: " ").first { $0.first?.isNumber == true } ?? ""
        return String(version.split(separator: ".").first ?? "")
    }
}
