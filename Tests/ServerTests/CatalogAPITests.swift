import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct CatalogAPITests {
    static let release = TestApp.rptRelease
    static var nextVersion: CatalogRelease {
        var next = release
        next.version = "2026.2"
        return next
    }

    @Test func listsReleasesWithCursorPagination() async throws {
        try await TestApp.run(publish: [Self.release, Self.nextVersion], signedIn: true) { client in
            var cursor: String?
            try await client.execute(uri: "/api/v1/catalog/releases?limit=1", method: .get) { response in
                #expect(response.status == .ok)
                let items = response.json["items"] as? [[String: Any]]
                #expect(items?.map { $0["release_id"] as? String } == ["apex-rpt@2026.1"])
                #expect(items?.first?["indicator_count"] as? Int == Self.release.indicators.count)
                cursor = response.json["next_cursor"] as? String
            }
            let next = try #require(cursor)
            try await client.execute(uri: "/api/v1/catalog/releases?limit=1&cursor=\(next)", method: .get) { response in
                let items = response.json["items"] as? [[String: Any]]
                #expect(items?.map { $0["release_id"] as? String } == ["apex-rpt@2026.2"])
                #expect(response.json["next_cursor"] == nil)
            }
        }
    }

    @Test func oneReleaseWithItsTree() async throws {
        try await TestApp.run(publish: [Self.release], signedIn: true) { client in
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1", method: .get) { response in
                #expect(response.status == .ok)
                let body = response.json
                #expect(body["release_id"] as? String == "apex-rpt@2026.1")
                let domains = body["domains"] as? [[String: Any]]
                #expect(domains?.count == 8)
                let standards = domains?.first?["standards"] as? [[String: Any]]
                let indicators = standards?.first?["indicators"] as? [[String: Any]]
                #expect(indicators?.first?["code"] as? String == "GOV-01")
                #expect((body["content_hash"] as? String)?.count == 64)
            }
        }
    }

    @Test func oneIndicatorWithItsPlace() async throws {
        try await TestApp.run(publish: [Self.release], signedIn: true) { client in
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1/indicators/RPS-07", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["domain"] as? String == "RPS")
                let indicator = response.json["indicator"] as? [String: Any]
                #expect((indicator?["thresholds"] as? [String: Double])?["dis_max_half_life_days"] == 120)
                #expect((indicator?["jurisdiction_overrides"] as? [[String: Any]])?.isEmpty == false)
            }
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1/indicators/XYZ-99", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                #expect(response.json["detail"] as? String == "Release apex-rpt@2026.1 has no indicator XYZ-99.")
            }
        }
    }

    @Test func unknownReleaseIsNotFound() async throws {
        try await TestApp.run(signedIn: true) { client in
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2099.1", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.json["type"] as? String == "https://apex.example/problems/not-found")
            }
        }
    }

    @Test func applicabilityForAScopeWithJurisdictionOverrides() async throws {
        try await TestApp.run(publish: [Self.release], signedIn: true) { client in
            let scope = #"{"agents":["lu177-psma","y90-microspheres"],"inpatient_therapy":false,"jurisdiction":"US-NC"}"#
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1/applicability", method: .post,
                                     headers: [.contentType: "application/json"], body: ByteBuffer(string: scope)) { response in
                #expect(response.status == .ok)
                let items = response.json["items"] as? [[String: Any]] ?? []
                #expect(items.count == Self.release.indicators.count)
                let byCode = Dictionary(uniqueKeysWithValues: items.map { ($0["code"] as! String, $0) })
                #expect(byCode["DOS-03"]?["applies"] as? Bool == true)
                #expect(byCode["RPS-05"]?["applies"] as? Bool == false)
                #expect((byCode["RPS-05"]?["reason"] as? String)?.hasPrefix("Does not apply: inpatient_therapy is false") == true)
                #expect((byCode["RPS-07"]?["thresholds"] as? [String: Double])?["dis_max_half_life_days"] == 275)
                #expect(byCode["RPS-07"]?["jurisdiction_note"] != nil)
                #expect(response.json["applicable_count"] as? Int == items.filter { $0["applies"] as? Bool == true }.count)
            }
        }
    }

    @Test(arguments: [
        (#"{"agents":["lu-999"]}"#, "Field 'agents[0]' is invalid"),
        (#"{"agents":"lu177-psma"}"#, "Field 'agents' has the wrong type"),
        (#"{"agents":[],"site_count":"two"}"#, "Field 'site_count' has the wrong type"),
        (#"{"agents":[],"beds":4}"#, "unknown keys"),
        (#"{"inpatient_therapy":true}"#, "Missing field 'agents'"),
        ("{not json", "The body is not valid JSON."),
        (#"{"agents":[],"site_count":0}"#, "site_count is 1 to 1000"),
        (#"{"agents":[],"jurisdiction":"NRC"}"#, "jurisdiction US-NRC or US-XX"),
    ])
    func badScopeBodies(body: String, detail: String) async throws {
        try await TestApp.run(publish: [Self.release], signedIn: true) { client in
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1/applicability", method: .post,
                                     headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                #expect(response.json["type"] as? String == "https://apex.example/problems/bad-request")
                #expect((response.json["detail"] as? String)?.contains(detail) == true, "\(response.json)")
            }
        }
    }

    @Test func wrongMediaTypeAndHugeBodies() async throws {
        try await TestApp.run(publish: [Self.release], configure: { $0.jsonBodyLimit = 1024 }, signedIn: true) { client in
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1/applicability", method: .post,
                                     headers: [.contentType: "text/plain"], body: ByteBuffer(string: "agents")) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            let huge = #"{"agents":[],"jurisdiction":""# + String(repeating: "x", count: 4096) + "\"}"
            try await client.execute(uri: "/api/v1/catalog/releases/apex-rpt@2026.1/applicability", method: .post,
                                     headers: [.contentType: "application/json"], body: ByteBuffer(string: huge)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.json["type"] as? String == "https://apex.example/problems/too-large")
            }
        }
    }

    @Test func badPaging() async throws {
        try await TestApp.run(signedIn: true) { client in
            try await client.execute(uri: "/api/v1/catalog/releases?limit=0", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/catalog/releases?limit=many", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/catalog/releases?cursor=%25%25%25", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["detail"] as? String == "cursor is not one this server handed out; start again without it." && response.json["field"] as? String == "cursor")
            }
        }
    }

    @Test func theCatalogNeedsASignedInPerson() async throws {
        try await TestApp.run(publish: [Self.release]) { client in
            try await client.execute(uri: "/api/v1/catalog/releases", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.json["type"] as? String == "https://apex.example/problems/unauthenticated")
            }
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await TestApp.run { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["openapi"] as? String == "3.1.0")
                let paths = response.json["paths"] as? [String: Any]
                #expect(paths?["/catalog/releases/{releaseId}/applicability"] != nil)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
            }
        }
    }
}
