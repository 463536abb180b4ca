import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs short-lived helper programs (initdb, pg_ctl, runuser) and collects their output.
struct ProcessRunner: Sendable {
    /// When set, every command runs as this account through `runuser` (PostgreSQL refuses to run as root).
    let account: String?

    struct Result: Sendable {
        let status: Int32
        let output: String
    }

    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let argv = account.map { [ProcessRunner.runuserPath, "-u", $0, "--", executable] } ?? [executable]
        var env = ProcessInfo.processInfo.environment
        // The helper programs must not inherit a client configuration meant for another server.
        for key in ["PGHOST", "PGPORT", "PGDATA", "PGUSER", "PGDATABASE", "PGPASSWORD"] { env[key] = nil }
        env["LC_ALL"] = "C"
        for (key, value) in environment { env[key] = value }

        // Output goes to a temporary file, and every other descriptor is closed in the child: a server
        // started by pg_ctl outlives the command and must not hold anything of ours open.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("apex-cmd-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        ProcessRunner.closeFrom(&actions, 3)

        let cArguments = (argv + arguments).map { strdup($0) } + [nil]
        let cEnvironment = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw EmbeddedPostgresError.commandFailed(command: argv[0], status: -1, output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported into Swift).
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitStatus, output: output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// glibc 2.34+ has `posix_spawn_file_actions_addclosefrom_np`, but Swift does not import it; look it up.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private nonisolated(unsafe) static let closeFromFunction: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        if let closeFromFunction {
            _ = closeFromFunction(&actions, lowest)
        }
    }

    static let runuserPath: String = {
        for candidate in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/sbin/runuser"
    }()
}

/// The account and group ids of a local user, looked up in the password database.
struct LocalAccount: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    static func named(_ name: String) -> LocalAccount? {
        guard let entry = getpwnam(name) else { return nil }
        return LocalAccount(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    static var isRoot: Bool { geteuid() == 0 }
}
