public import AccreditationCore
public import Foundation
public import Logging
public import PostgresNIO

/// Remembers the answer to a request sent with an `Idempotency-Key`, per person, for a day, so a retry
/// gets the first answer instead of acting twice. The key is claimed before the work starts: a second
/// request while the first is still running is told so rather than racing it.
public struct IdempotencyStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let clock: any WorkflowClock
    public static let retention: TimeInterval = 86_400
    public static let abandonedAfter: TimeInterval = 600

    public init(client: PostgresClient, logger: Logger, clock: any WorkflowClock = SystemClock()) {
        self.client = client
        self.logger = logger
        self.clock = clock
    }

    public enum Start: Sendable, Equatable {
        /// The key is new and now claimed: do the work, then `finish` (or `abandon` on failure).
        case fresh
        /// The key was used before for a request with this fingerprint, answered with `response`.
        case replay(fingerprint: String, response: String)
        case inProgress
    }

    public func begin(person: UUID, key: String) async throws -> Start {
        let now = clock.now()
        // Answers are kept for a day; a claim with no answer after ten minutes was left by a process that died.
        _ = try await client.query("""
            DELETE FROM idempotency_keys WHERE person_id = \(person) AND key = \(key)
              AND (created_at < \(now.addingTimeInterval(-Self.retention)) OR (response IS NULL AND created_at < \(now.addingTimeInterval(-Self.abandonedAfter))))
            """, logger: logger)
        for try await _ in try await client.query("""
            INSERT INTO idempotency_keys (person_id, key, fingerprint, created_at) VALUES (\(person), \(key), '', \(now))
            ON CONFLICT DO NOTHING RETURNING key
            """, logger: logger) { return .fresh }
        for try await (fingerprint, response) in try await client.query("""
            SELECT fingerprint, response FROM idempotency_keys WHERE person_id = \(person) AND key = \(key)
            """, logger: logger).decode((String, String?).self) {
            guard let response else { return .inProgress }
            return .replay(fingerprint: fingerprint, response: response)
        }
        return .inProgress
    }

    public func finish(person: UUID, key: String, fingerprint: String, response: String) async throws {
        _ = try await client.query("""
            UPDATE idempotency_keys SET fingerprint = \(fingerprint), status = 200, response = \(response)
            WHERE person_id = \(person) AND key = \(key)
            """, logger: logger)
    }

    /// Releases a claimed key after the work failed, so a corrected retry may use it again.
    public func abandon(person: UUID, key: String) async throws {
        _ = try await client.query("""
            DELETE FROM idempotency_keys WHERE person_id = \(person) AND key = \(key) AND response IS NULL
            """, logger: logger)
    }
}
