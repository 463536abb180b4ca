public import AccreditationCore
public import Logging
public import PostgresNIO
public import Foundation
import StandardsCatalog

public enum CatalogStoreError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case draft(String)
    case contentChanged(id: String, stored: String, offered: String)

    public var description: String {
        switch self {
        case let .notFound(id):
            return "No published catalog release '\(id)'."
        case let .draft(id):
            return "Release \(id) is a draft; set status: published in its release.yaml to publish it."
        case let .contentChanged(id, stored, offered):
            return "Release \(id) is already published with different content (stored SHA-256 \(stored.prefix(12))…, offered \(offered.prefix(12))…). "
                + "Published releases are immutable: give the changed catalog a new version."
        }
    }
}

public struct StoredRelease: Sendable, Equatable {
    public let release: CatalogRelease
    public let contentHash: String
    public let publishedAt: Date
    public let retiredAt: Date?
}

public struct ReleaseSummary: Sendable, Equatable {
    public let releaseID: String
    public let catalogID: String
    public let version: String
    public let title: String
    public let effective: String
    public let status: ReleaseStatus
    public let contentHash: String
    public let indicatorCount: Int
    public let publishedAt: Date
}

/// Published catalog releases in PostgreSQL. A release row never changes except for its retirement;
/// a trigger enforces that in the database as well.
public struct CatalogStore: Sendable {
    public enum PublishOutcome: String, Sendable {
        case published
        case unchanged = "already published with the same content"
        case retired = "retired"
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func publish(_ release: CatalogRelease) async throws -> PublishOutcome {
        guard release.status != .draft else { throw CatalogStoreError.draft(release.releaseID) }
        let hash = try CanonicalForm.contentHash(release)
        let content = String(decoding: try CanonicalForm.json(release), as: UTF8.self)
        let inserted = try await client.query("""
            INSERT INTO catalog_releases (release_id, catalog_id, version, title, effective_on, status, content_hash, content, retired_at)
            VALUES (\(release.releaseID), \(release.id), \(release.version), \(release.title), \(release.effective)::date,
                    \(release.status.rawValue), \(hash), \(content)::jsonb, CASE WHEN \(release.status.rawValue) = 'retired' THEN now() END)
            ON CONFLICT (release_id) DO NOTHING
            RETURNING release_id
            """, logger: logger)
        for try await _ in inserted {
            logger.info("Published catalog release", metadata: ["release": "\(release.releaseID)", "sha256": "\(hash)"])
            return .published
        }
        let rows = try await client.query("SELECT content_hash, status FROM catalog_releases WHERE release_id = \(release.releaseID)", logger: logger)
        for try await (stored, status) in rows.decode((String, String).self) {
            guard stored == hash else {
                throw CatalogStoreError.contentChanged(id: release.releaseID, stored: stored, offered: hash)
            }
            if release.status == .retired && status != ReleaseStatus.retired.rawValue {
                try await retire(release.releaseID)
                return .retired
            }
            return .unchanged
        }
        throw CatalogStoreError.notFound(release.releaseID)
    }

    /// Stops new applications from using a release. Nothing is deleted.
    public func retire(_ releaseID: String) async throws {
        let rows = try await client.query("""
            UPDATE catalog_releases SET status = 'retired', retired_at = coalesce(retired_at, now())
            WHERE release_id = \(releaseID) RETURNING release_id
            """, logger: logger)
        for try await _ in rows { return }
        throw CatalogStoreError.notFound(releaseID)
    }

    public func release(id: String) async throws -> StoredRelease? {
        let rows = try await client.query("""
            SELECT content::text, content_hash, status, published_at, retired_at FROM catalog_releases WHERE release_id = \(id)
            """, logger: logger)
        for try await (content, hash, status, publishedAt, retiredAt) in rows.decode((String, String, String, Date, Date?).self) {
            var release = try CanonicalForm.decode(Data(content.utf8))
            release.status = ReleaseStatus(rawValue: status) ?? release.status
            return StoredRelease(release: release, contentHash: hash, publishedAt: publishedAt, retiredAt: retiredAt)
        }
        return nil
    }

    /// Releases ordered by id, after `cursor` (a release id) when given, at most `limit`.
    public func list(after cursor: String? = nil, limit: Int = 1000) async throws -> [ReleaseSummary] {
        let rows = try await client.query("""
            SELECT release_id, catalog_id, version, title, to_char(effective_on, 'YYYY-MM-DD'), status, content_hash,
                   jsonb_array_length(jsonb_path_query_array(content, '$.domains[*].standards[*].indicators[*]')),
                   published_at
            FROM catalog_releases
            WHERE \(cursor == nil) OR release_id > \(cursor ?? "")
            ORDER BY release_id
            LIMIT \(limit)
            """, logger: logger)
        var result: [ReleaseSummary] = []
        for try await (id, catalog, version, title, effective, status, hash, count, publishedAt)
            in rows.decode((String, String, String, String, String, String, String, Int, Date).self) {
            result.append(ReleaseSummary(
                releaseID: id, catalogID: catalog, version: version, title: title, effective: effective,
                status: ReleaseStatus(rawValue: status) ?? .published, contentHash: hash, indicatorCount: count, publishedAt: publishedAt
            ))
        }
        return result
    }
}
