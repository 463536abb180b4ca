import AccreditationCore
import Foundation
import Persistence
import Synchronization

/// Remembers which person a bearer token belongs to for a couple of seconds, so a burst of requests with
/// one token asks the database once. Signing out, revoking a token, changing a password, deactivating a
/// person and changing their role or practice forget the person's entries on this replica at once;
/// another replica notices within `lifetime` (the database lookup refuses revoked tokens and deactivated
/// people). Entries never outlive the token's own expiry.
final class SessionCache: Sendable {
    private struct Entry {
        let identity: Identity
        let validUntil: Date
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Counts forgets; a lookup stores its answer only if none happened while it asked the database.
        var forgets: UInt64 = 0
    }

    private let state = Mutex(State())
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
        let (cached, ticket) = state.withLock { ($0.entries[token], $0.forgets) }
        if let cached, cached.validUntil > now { return cached.identity }
        let (identity, expiresAt) = try await accounts.session(token: token)
        guard lifetime > 0 else { return identity }
        state.withLock { state in
            guard state.forgets == ticket else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[token] = Entry(identity: identity, validUntil: min(expiresAt, now.addingTimeInterval(lifetime)))
        }
        return identity
    }

    /// Forgets every token of `person` (after sign-out, revocation, a password change, deactivation or a
    /// role change).
    func forget(person: UUID) {
        state.withLock { state in
            state.forgets &+= 1
            state.entries = state.entries.filter { $0.value.identity.personID != person }
        }
    }
}
