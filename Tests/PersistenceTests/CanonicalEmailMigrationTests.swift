import AccreditationCore
import Foundation
import Logging
import Persistence
import PostgresNIO
import TestSupport
import Testing

/// Migration 0008 brings stored emails to the canonical form of `EmailAddress`, and stops, naming the
/// accounts, when two would become one. Its SQL form agrees with the Swift one.
@Suite struct CanonicalEmailMigrationTests {
    let logger = TestCluster.logger

    /// A database migrated up to, not including, the canonical emails.
    func beforeCanonicalEmails(_ body: @escaping @Sendable (PostgresClient, Migrator) async throws -> Void) async throws {
        let all = try Migrator.bundled()
        let before = Migrator(migrations: all.migrations.filter { $0.version < 8 })
        try await TestDatabase.withClient(migrated: false) { client, _ async throws in
            try await before.apply(on: client, logger: TestCluster.logger)
            try await body(client, all)
        }
    }

    static func addPerson(_ email: String, on client: PostgresClient) async throws -> UUID {
        let id = UUID()
        _ = try await client.query("""
            INSERT INTO people (id, email, display_name, role, created_at) VALUES (\(id), \(email), 'Someone', 'staff', now())
            """, logger: TestCluster.logger)
        return id
    }

    static func email(of id: UUID, on client: PostgresClient) async throws -> String? {
        for try await email in try await client.query("SELECT email FROM people WHERE id = \(id)", logger: TestCluster.logger).decode(String.self) {
            return email
        }
        return nil
    }

    @Test func storedEmailsBecomeCanonical() async throws {
        try await beforeCanonicalEmails { client, all in
            let typed = ["Pat@Example.org", "re\u{0301}mi@example.org", "ann\u{200B}@example.org", " zoe@example.org ",
                         "stra\u{00DF}e@example.de", "\u{FF4B}im@example.org"]
            var ids: [UUID] = []
            for email in typed { ids.append(try await Self.addPerson(email, on: client)) }
            try await all.apply(on: client, logger: logger)
            var stored: [String] = []
            for id in ids { stored.append(try #require(try await Self.email(of: id, on: client))) }
            // Scalar by scalar: String's == would call canonically equivalent spellings equal.
            #expect(stored.map { Array($0.unicodeScalars) } == ["pat@example.org", "r\u{00E9}mi@example.org", "ann@example.org", "zoe@example.org",
                               "strasse@example.de", "kim@example.org"].map { Array($0.unicodeScalars) })
            // And from now on only canonical forms can be stored.
            await #expect(throws: (any Error).self) { _ = try await Self.addPerson("Upper@Example.org", on: client) }
            await #expect(throws: (any Error).self) { _ = try await Self.addPerson("re\u{0301}mi2@example.org", on: client) }
        }
    }

    @Test func twoAccountsForOneMailboxStopTheMigrationAndAreNamed() async throws {
        try await beforeCanonicalEmails { client, all in
            let first = try await Self.addPerson("r\u{00E9}mi@example.org", on: client)
            let second = try await Self.addPerson("RE\u{0301}MI@example.org", on: client)
            do {
                try await all.apply(on: client, logger: logger)
                Issue.record("the migration went through two accounts for one mailbox")
            } catch let error as MigrationError {
                let text = error.description
                #expect(text.contains("0008_"), "\(text)")
                #expect(text.contains(first.uuidString.lowercased()) && text.contains(second.uuidString.lowercased()), "\(text)")
                #expect(text.contains("Decide which account each person keeps"), "\(text)")
            }
            // Rolled back: both rows as they were, and the migration still pending.
            #expect(try await Self.email(of: second, on: client).map { Array($0.unicodeScalars) } == Array("RE\u{0301}MI@example.org".unicodeScalars))
            #expect(try await all.status(on: client, logger: logger).last { $0.migration.version == 8 }?.state == .pending)
            // Once a person decides, the migration goes through.
            _ = try await client.query("UPDATE people SET email = 'remi.other@example.org' WHERE id = \(second)", logger: logger)
            try await all.apply(on: client, logger: logger)
            #expect(try await Self.email(of: first, on: client).map { Array($0.unicodeScalars) } == Array("r\u{00E9}mi@example.org".unicodeScalars))
        }
    }

    /// The SQL function the migration uses gives the form the service computes, for the spellings that
    /// need more than lower case.
    @Test func sqlAndSwiftAgree() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            let samples = ["Pat@Example.org", "re\u{0301}mi@example.org", "R\u{00C9}MI@EXAMPLE.ORG", "\u{FF52}\u{FF45}\u{FF4D}\u{FF49}@example.org",
                           "\u{212A}im@\u{FB01}rm.example", "stra\u{00DF}e@example.de", "\u{1E9E}@example.de", "\u{03A3}\u{0391}\u{03A3}@example.gr",
                           "\u{03C3}\u{03B1}\u{03C2}@example.gr", "\u{1F80}\u{1FB3}@example.gr", "\u{1D2C}nna@example.org", "\u{0130}stanbul@example.tr",
                           "\u{01C5}ord@example.org", "\u{1D400}bc@example.org", "ma\u{0308}\u{0301}x@example.org", "\u{0587}@example.am"]
            for sample in samples {
                let swift = try EmailAddress(sample).canonical
                var sql: String?
                for try await value in try await client.query("SELECT canonical_email(\(sample))", logger: logger).decode(String.self) { sql = value }
                #expect(sql.map { Array($0.unicodeScalars) } == Array(swift.unicodeScalars), "\(sample): SQL \(sql ?? "nil"), Swift \(swift)")
            }
        }
    }
}
