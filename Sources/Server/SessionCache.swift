import AccreditationCore
import Foundation
import Persistence
import Synchronization

/// Remembers which person a bearer token belongs to for a couple of seconds, so a burst of requests with
/// one token asks the database once. Signing out, revoking a token and changing a password forget the
/// person's entries on this replica at once; another replica notices within `lifetime`. Entries never
/// outlive the token's own expiry.
final class SessionCache: Sendable {
    private struct Entry {
        let identity: Identity
        let validUntil: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let accounts: AccountStore
    let lifetime: TimeInterval
    /// Beyond this many tokens the cache starts afresh rather than tracking ages.
    let capacity = 10_000

    init(accounts: AccountStore, lifetime: TimeInterval = 2) {
        self.accounts = accounts
        self.lifetime = lifetime
    }

    func identity(for token: String) async throws -> Identity {
        let now = accounts.now()
        if let entry = entries.withLock({ $0[token] }), entry.validUntil > now { return entry.identity }
        let (identity, expiresAt) = try await accounts.session(token: token)
        guard lifetime > 0 else { return identity }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = Entry(identity: identity, validUntil: min(expiresAt, now.addingTimeInterval(lifetime)))
        }
        return identity
    }

    /// Forgets every token of `person` (after sign-out, revocation or a password change).
    func forget(person: UUID) {
        entries.withLock { entries in entries = entries.filter { $0.value.identity.personID != person } }
    }
}
