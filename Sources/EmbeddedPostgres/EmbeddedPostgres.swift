public import Logging
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster that apex starts and stops itself: `apex serve` without DATABASE_URL,
/// and the test support code.
///
/// The server listens only on a Unix socket in a fresh folder that only its account can open, so
/// nothing else on the machine can connect, and it uses `trust` authentication over that socket.
public final class EmbeddedPostgres: Sendable {
    public struct Options: Sendable {
        /// The apex data folder; the cluster lives in its `postgres` subfolder.
        public var dataFolder: String
        /// Explicit folder of the server programs (APEX_PG_BIN); searched for when nil.
        public var binariesFolder: String?
        /// Account PostgreSQL runs as when apex itself runs as root.
        public var unprivilegedAccount: String = "postgres"
        /// `false` trades crash safety for speed: for throw-away test clusters only.
        public var durable: Bool = true
        /// The superuser created by initdb; apex connects as this role.
        public var superuser: String = "apex"

        public init(dataFolder: String, binariesFolder: String? = nil) {
            self.dataFolder = dataFolder
            self.binariesFolder = binariesFolder
        }
    }

    public let clusterFolder: String
    public let socketFolder: String
    public let superuser: String
    /// The port number only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
    public let port: Int = 5432
    public var socketPath: String { socketFolder + "/.s.PGSQL.\(port)" }

    private let binaries: PostgresBinaries
    private let runner: ProcessRunner
    private let logger: Logger
    /// Descriptor holding the data folder's `flock`, released when the server stops.
    private let lock: Int32

    static let lockFileName = "apex.lock"

    private init(clusterFolder: String, socketFolder: String, superuser: String, binaries: PostgresBinaries, runner: ProcessRunner, lock: Int32, logger: Logger) {
        self.lock = lock
        self.clusterFolder = clusterFolder
        self.socketFolder = socketFolder
        self.superuser = superuser
        self.binaries = binaries
        self.runner = runner
        self.logger = logger
    }

    /// Prepares the data folder (creating the cluster on first use), starts the server and waits until it
    /// accepts connections. On any failure nothing is left running.
    public static func start(_ options: Options, logger: Logger) throws -> EmbeddedPostgres {
        let binaries = try PostgresBinaries.locate(explicit: options.binariesFolder)
        var account: LocalAccount? = nil
        if LocalAccount.isRoot {
            guard let found = LocalAccount.named(options.unprivilegedAccount) else {
                throw EmbeddedPostgresError.unprivilegedAccountMissing(account: options.unprivilegedAccount)
            }
            account = found
        }
        let runner = ProcessRunner(account: account?.name)
        let dataFolder = URL(fileURLWithPath: options.dataFolder).standardizedFileURL.path
        let clusterFolder = dataFolder + "/postgres"
        let fresh = try prepareDataFolder(dataFolder, cluster: clusterFolder, owner: account)
        let lock = try lockDataFolder(dataFolder)
        let socketFolder: String
        do {
            if let account {
                try checkReachable(clusterFolder, account: account, runner: runner)
            }
            try prepareCluster(clusterFolder, fresh: fresh, options: options, binaries: binaries, runner: runner, logger: logger)
            socketFolder = try makeSocketFolder(owner: account)
        } catch {
            close(lock)
            throw error
        }
        let server = EmbeddedPostgres(
            clusterFolder: clusterFolder, socketFolder: socketFolder, superuser: options.superuser,
            binaries: binaries, runner: runner, lock: lock, logger: logger
        )
        do {
            try server.stopLeftoverServer()
            try server.launch(durable: options.durable)
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Runs initdb on first use; afterwards checks the cluster was made by the installed major version.
    private static func prepareCluster(
        _ clusterFolder: String, fresh: Bool, options: Options, binaries: PostgresBinaries, runner: ProcessRunner, logger: Logger
    ) throws {
        let binaryVersion = try binaries.majorVersion(runner: runner)
        if fresh {
            logger.info("Creating a new PostgreSQL \(binaryVersion) cluster", metadata: ["folder": "\(clusterFolder)"])
            var arguments = ["-D", clusterFolder, "-U", options.superuser, "--auth=trust", "--encoding=UTF8", "--no-locale"]
            if !options.durable { arguments.append("--no-sync") }
            let result = try runner.run(binaries.initdb, arguments)
            guard result.status == 0 else {
                throw EmbeddedPostgresError.commandFailed(command: "initdb", status: result.status, output: result.output)
            }
        } else {
            let clusterVersion = (try? String(contentsOfFile: clusterFolder + "/PG_VERSION", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            guard clusterVersion == binaryVersion else {
                throw EmbeddedPostgresError.versionMismatch(path: clusterFolder, clusterVersion: clusterVersion, binaryVersion: binaryVersion)
            }
        }
    }

    /// Stops the server (fast shutdown: open sessions are ended, committed data is safe) and removes the socket folder.
    public func stop() {
        if FileManager.default.fileExists(atPath: clusterFolder + "/postmaster.pid") {
            let result = try? runner.run(binaries.pgCtl, ["stop", "-D", clusterFolder, "-m", "fast", "-w", "-t", "60"])
            if let result, result.status != 0 {
                logger.warning("pg_ctl stop failed", metadata: ["output": "\(result.output)"])
            } else {
                logger.info("Stopped the embedded PostgreSQL", metadata: ["folder": "\(clusterFolder)"])
            }
        }
        try? FileManager.default.removeItem(atPath: socketFolder)
        close(lock)
    }

    /// One apex per data folder: a second `serve` or `migrate` on the same folder must not mistake the
    /// first one's server for a leftover and stop it. The kernel drops the lock if apex dies.
    private static func lockDataFolder(_ path: String) throws -> Int32 {
        let descriptor = open(path + "/" + lockFileName, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "cannot create its lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw EmbeddedPostgresError.dataFolderInUse(path: path)
        }
        return descriptor
    }

    // MARK: - Steps

    /// Returns true when the cluster must be created. Refuses folders that hold anything but an apex cluster.
    private static func prepareDataFolder(_ path: String, cluster: String, owner: LocalAccount?) throws -> Bool {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "it exists and is not a folder")
            }
        } else {
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "it cannot be created (\(reasonText(error)))")
            }
        }
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: path)
        } catch {
            throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "it cannot be read (\(reasonText(error)))")
        }
        if entries.contains("postgres") {
            if fm.fileExists(atPath: cluster + "/PG_VERSION") { return false }
            // An empty cluster folder is what a failed first initdb leaves: start over in it.
            guard (try? fm.contentsOfDirectory(atPath: cluster))?.isEmpty == true else {
                throw EmbeddedPostgresError.dataFolderNotACluster(path: path)
            }
        } else {
            // apex's own lock and evidence folder may be there before the cluster (evidence kept while on an external database).
            guard entries.allSatisfy({ [lockFileName, "evidence"].contains($0) }) else { throw EmbeddedPostgresError.dataFolderNotACluster(path: path) }
        }
        guard access(path, W_OK) == 0 else {
            throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "it is not writable")
        }
        do {
            if !fm.fileExists(atPath: cluster) {
                try fm.createDirectory(atPath: cluster, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "a folder cannot be created in it (\(reasonText(error)))")
        }
        if let owner, chown(cluster, owner.uid, owner.gid) != 0 {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(atPath: cluster)
            throw EmbeddedPostgresError.dataFolderNotUsable(path: path, reason: "cannot hand \(cluster) to the '\(owner.name)' account (\(reason))")
        }
        return true
    }

    private static func checkReachable(_ cluster: String, account: LocalAccount, runner: ProcessRunner) throws {
        let result = try runner.run("/usr/bin/test", ["-w", cluster, "-a", "-x", cluster])
        guard result.status == 0 else {
            throw EmbeddedPostgresError.dataFolderUnreachable(path: cluster, account: account.name)
        }
    }

    private static func makeSocketFolder(owner: LocalAccount?) throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/apex-pg.XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) }
        guard let created else {
            throw EmbeddedPostgresError.dataFolderNotUsable(path: FileManager.default.temporaryDirectory.path, reason: "cannot create a socket folder")
        }
        let path = String(cString: created)
        if let owner { _ = chown(path, owner.uid, owner.gid) }
        return path
    }

    /// A server left running by an apex that was killed (SIGKILL cannot be caught) is stopped, so the
    /// cluster is never shared by two servers.
    private func stopLeftoverServer() throws {
        guard FileManager.default.fileExists(atPath: clusterFolder + "/postmaster.pid") else { return }
        let status = try runner.run(binaries.pgCtl, ["status", "-D", clusterFolder])
        if status.status == 0 {
            logger.warning("Stopping a PostgreSQL server left running by an earlier apex", metadata: ["folder": "\(clusterFolder)"])
            _ = try runner.run(binaries.pgCtl, ["stop", "-D", clusterFolder, "-m", "fast", "-w", "-t", "60"])
        }
    }

    private func launch(durable: Bool) throws {
        var settings = [
            "-c listen_addresses=''",
            "-c unix_socket_directories='\(socketFolder)'",
            "-c unix_socket_permissions=0700",
            "-p \(port)",
        ]
        if !durable {
            settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=500"]
        }
        let logFile = clusterFolder + "/apex-server.log"
        let result = try runner.run(binaries.pgCtl, [
            "start", "-D", clusterFolder, "-w", "-t", "60", "-l", logFile, "-o", settings.joined(separator: " "),
        ])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw EmbeddedPostgresError.commandFailed(command: "pg_ctl start", status: result.status, output: result.output + "\n" + log)
        }
        logger.info("Embedded PostgreSQL is ready", metadata: ["socket": "\(socketPath)", "folder": "\(clusterFolder)"])
    }

    private static func reasonText(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
