import AccreditationCore
import Foundation
import Persistence
import PostgresNIO
import StandardsCatalog
import TestSupport
import Testing

@Suite struct CatalogStoreTests {
    static let release: CatalogRelease = {
        let standards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Standards/apex-rpt/2026.1").path
        return try! CatalogLoader.load(folder: standards)
    }()

    @Test func publishThenReadBackGivesTheSameContentAndHash() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            let store = CatalogStore(client: client, logger: TestCluster.logger)
            #expect(try await store.publish(Self.release) == .published)
            let stored = try #require(try await store.release(id: Self.release.releaseID))
            #expect(stored.release == Self.release)
            #expect(stored.contentHash == (try CanonicalForm.contentHash(Self.release)))
            let list = try await store.list()
            #expect(list.map(\.releaseID) == ["apex-rpt@2026.1"])
            #expect(list.first?.indicatorCount == Self.release.indicators.count)
            #expect(list.first?.effective == "2026-07-01")
        }
    }

    @Test func publishingTheSameContentAgainIsANoOp() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            let store = CatalogStore(client: client, logger: TestCluster.logger)
            #expect(try await store.publish(Self.release) == .published)
            #expect(try await store.publish(Self.release) == .unchanged)
            #expect(try await store.list().count == 1)
        }
    }

    @Test func differentContentUnderAPublishedIDIsRefused() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            let store = CatalogStore(client: client, logger: TestCluster.logger)
            _ = try await store.publish(Self.release)
            var edited = Self.release
            edited.domains[0].standards[0].indicators[0].level = .scored
            await #expect {
                try await store.publish(edited)
            } throws: { error in
                guard case .contentChanged(let id, _, _) = error as? CatalogStoreError else { return false }
                return id == "apex-rpt@2026.1" && String(describing: error).contains("give the changed catalog a new version")
            }
            #expect(try await store.release(id: Self.release.releaseID)?.release == Self.release)
        }
    }

    @Test func draftsAreNotPublished() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            var draft = Self.release
            draft.status = .draft
            await #expect(throws: CatalogStoreError.draft("apex-rpt@2026.1")) {
                try await CatalogStore(client: client, logger: TestCluster.logger).publish(draft)
            }
        }
    }

    @Test func retiringKeepsTheReleaseAndItsContent() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            let store = CatalogStore(client: client, logger: TestCluster.logger)
            _ = try await store.publish(Self.release)
            try await store.retire(Self.release.releaseID)
            let stored = try #require(try await store.release(id: Self.release.releaseID))
            #expect(stored.release.status == .retired)
            #expect(stored.retiredAt != nil)
            #expect(stored.contentHash == (try CanonicalForm.contentHash(Self.release)))
            // Publishing the unchanged files again neither fails nor brings it back.
            #expect(try await store.publish(Self.release) == .unchanged)
            #expect(try await store.release(id: Self.release.releaseID)?.release.status == .retired)
            await #expect(throws: CatalogStoreError.notFound("nope@2026.1")) { try await store.retire("nope@2026.1") }
        }
    }

    @Test func theDatabaseRefusesEditsAndDeletes() async throws {
        try await TestDatabase.withClient { client, _ async throws in
            _ = try await CatalogStore(client: client, logger: TestCluster.logger).publish(Self.release)
            await #expect {
                try await client.query("UPDATE catalog_releases SET content = '{}'::jsonb", logger: TestCluster.logger)
            } throws: { error in Database.describe(error).contains("is immutable") }
            await #expect {
                try await client.query("DELETE FROM catalog_releases", logger: TestCluster.logger)
            } throws: { error in Database.describe(error).contains("cannot be deleted; retire it instead") }
        }
    }
}
