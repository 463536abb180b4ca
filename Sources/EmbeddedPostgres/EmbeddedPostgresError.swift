import Foundation

/// Why the embedded PostgreSQL could not be prepared or started. Each message names the path or
/// program concerned and what the operator can do about it.
public enum EmbeddedPostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    case binariesNotFound(searched: [String])
    case dataFolderNotUsable(path: String, reason: String)
    case dataFolderNotACluster(path: String)
    case dataFolderUnreachable(path: String, account: String)
    case dataFolderInUse(path: String)
    case versionMismatch(path: String, clusterVersion: String, binaryVersion: String)
    case unprivilegedAccountMissing(account: String)
    case commandFailed(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case let .binariesNotFound(searched):
            return "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found in \(searched.joined(separator: ", ")). "
                + "Install them (Debian/Ubuntu: apt-get install -y postgresql), point APEX_PG_BIN at their folder, "
                + "or set DATABASE_URL to use an existing PostgreSQL server."
        case let .dataFolderNotUsable(path, reason):
            return "The data folder \(path) cannot be used: \(reason). Choose another folder with --data-dir or APEX_DATA_DIR."
        case let .dataFolderNotACluster(path):
            return "The data folder \(path) already holds files that are not an apex database; refusing to touch them. "
                + "Choose an empty or new folder with --data-dir or APEX_DATA_DIR."
        case let .dataFolderUnreachable(path, account):
            return "PostgreSQL runs as the unprivileged account '\(account)', which cannot reach \(path) "
                + "(a folder above it lacks the search permission for that account). "
                + "Choose a data folder it can reach, for example --data-dir /var/lib/apex."
        case let .dataFolderInUse(path):
            return "The data folder \(path) is in use by another apex process. Stop it first, or give this one another --data-dir."
        case let .versionMismatch(path, clusterVersion, binaryVersion):
            return "The database in \(path) was created by PostgreSQL \(clusterVersion), but the installed server is \(binaryVersion). "
                + "Run the matching PostgreSQL version or upgrade the cluster with pg_upgrade."
        case let .unprivilegedAccountMissing(account):
            return "apex was started as root and PostgreSQL refuses to run as root, but the account '\(account)' does not exist. "
                + "Install PostgreSQL from Debian packages (it creates the 'postgres' account), run apex as an ordinary user, "
                + "or set DATABASE_URL."
        case let .commandFailed(command, status, output):
            let tail = output.split(separator: "\n").suffix(12).joined(separator: "\n")
            return "\(command) failed with exit status \(status):\n\(tail)"
        }
    }
}
