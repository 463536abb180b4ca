import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import Synchronization
import TestSupport
import Testing

/// Lists and staff queries over HTTP on the demonstration data: cursors, filters, search, reports.
@Suite struct ListingTests {
    @Test func applicationsPageFilterAndSearch() async throws {
        try await TestApp.run(publish: [TestApp.rptRelease], demo: true) { client in
            let api = API(client: client)
            let staff = try await api.login("staff@apex.example", .demoPassword)
            var seen: [String] = []
            var path = "/api/v1/applications?limit=1"
            while true {
                let page = try await api.call(.get, path, token: staff)
                #expect(page.status == .ok)
                seen += page.items.compactMap { $0["id"] as? String }
                guard let next = page["next_cursor"] else { break }
                path = "/api/v1/applications?limit=1&cursor=\(next)"
            }
            #expect(seen.count == 3 && Set(seen).count == 3, "three applications, each once, newest first")
            let all = try await api.call(.get, "/api/v1/applications", token: staff).items.compactMap { $0["id"] as? String }
            #expect(seen == all)

            func ids(_ query: String, as token: String? = nil) async throws -> [String] {
                let reply = try await api.call(.get, "/api/v1/applications?\(query)", token: token ?? staff)
                #expect(reply.status == .ok, "\(query): \(reply.text)")
                return reply.items.compactMap { $0["state"] as? String }
            }
            #expect(try await ids("state=accredited") == ["accredited"])
            #expect(try await ids("practice_name=mesa").sorted() == ["committee-review", "self-assessment"])
            #expect(try await ids("practice_name=MESA%20cancer&pathway=rpt-paired").isEmpty)
            #expect(try await ids("pathway=rpt-paired") == ["accredited"])
            #expect(try await ids("term_end_before=2099-01-01") == ["accredited"])
            #expect(try await ids("term_end_before=2020-01-01").isEmpty)
            #expect(try await ids("practice_name=%25").isEmpty, "LIKE wildcards are matched literally")
            // A practice's people see only their own; a surveyor only what they survey.
            #expect(try await ids("", as: try await api.login("admin@lakeside.example", .demoPassword)) == ["accredited"])
            #expect(try await ids("", as: try await api.login("physicist@surveyors.example", .demoPassword)) == ["committee-review"])
            for bad in ["limit=0", "limit=201", "cursor=nonsense", "term_end_before=2026-02-30", "practice_id=not-a-uuid", "pathway=other"] {
                #expect(try await api.call(.get, "/api/v1/applications?\(bad)", token: staff).status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func practicesPeopleAndStaffReports() async throws {
        let clock = ManualClock(Date())
        let database = Mutex<DatabaseSettings?>(nil)
        try await TestApp.run(publish: [TestApp.rptRelease], clock: clock, seed: { settings in database.withLock { $0 = settings } }, demo: true) { client in
            let api = API(client: client)
            try await Self.practicesAndPeople(api)
            try await Self.reports(api)
            try await Self.overdue(api, database: database.withLock { $0 }, clock: clock)
        }
    }

    static func practicesAndPeople(_ api: API) async throws {
        let staff = try await api.login("staff@apex.example", .demoPassword)
        let practices = try await api.call(.get, "/api/v1/practices?limit=1", token: staff)
        #expect(practices.items.map { $0["legal_name"] as? String } == ["Lakeside Radiation Oncology"])
        let next = try #require(practices["next_cursor"])
        let second = try await api.call(.get, "/api/v1/practices?limit=1&cursor=\(next)", token: staff)
        #expect(second.items.map { $0["legal_name"] as? String } == ["Mesa Cancer Care"])
        #expect(second["next_cursor"] == nil, "a last page that is full says so, without an empty page after it")
        #expect(try await api.call(.get, "/api/v1/practices?q=cancer", token: staff).items.count == 1)
        let people = try await api.call(.get, "/api/v1/people?role=surveyor", token: staff).items.compactMap { $0["email"] as? String }
        #expect(people == ["oncologist@surveyors.example", "physicist@surveyors.example"])
        let mesa = try await api.login("admin@mesa.example", .demoPassword)
        let mesaPeople = Set(try await api.call(.get, "/api/v1/people", token: mesa).items.compactMap { $0["email"] as? String })
        #expect(mesaPeople == ["admin@mesa.example", "rso@mesa.example"])
    }

    static func reports(_ api: API) async throws {
        let staff = try await api.login("staff@apex.example", .demoPassword)
        var counts: [String: Int] = [:]
        for item in try await api.call(.get, "/api/v1/reports/pipeline", token: staff).items {
            counts[item["state"] as? String ?? "?"] = item["count"] as? Int
        }
        #expect(counts == ["accredited": 1, "committee-review": 1, "self-assessment": 1])
        #expect(try await api.call(.get, "/api/v1/reports/expiring?within_days=30", token: staff).items.isEmpty)
        #expect(try await api.call(.get, "/api/v1/reports/expiring?within_days=1500", token: staff).items.count == 1)
        #expect(try await api.call(.get, "/api/v1/reports/expiring?within_days=0", token: staff).status == .badRequest)
    }

    /// An RFI left unanswered past its due date shows up as overdue once the scheduler has run.
    static func overdue(_ api: API, database: DatabaseSettings?, clock: ManualClock) async throws {
        let staff = try await api.login("staff@apex.example", .demoPassword)
        let application = try #require(try await api.call(.get, "/api/v1/applications?state=self-assessment", token: staff).items.first?["id"] as? String)
        let opened = try await api.call(.post, "/api/v1/applications/\(application)/rfis", token: staff, json: ["question": "Where is the licence?"])
        #expect(opened.status == .created)
        let before = try await api.call(.get, "/api/v1/reports/overdue", token: staff).json["rfis"] as? [Any]
        #expect(before?.isEmpty == true)
        clock.advance(days: 60)
        try await runScheduler(database, clock: clock)
        let after = try await api.call(.get, "/api/v1/reports/overdue", token: try await api.login("staff@apex.example", .demoPassword))
        let states = (after.json["rfis"] as? [[String: any Sendable]] ?? []).map { $0["state"] as? String ?? "" }
        #expect(states == ["overdue"])
    }

    static func runScheduler(_ settings: DatabaseSettings?, clock: ManualClock) async throws {
        let settings = try #require(settings)
        try await Database.withClient(settings, logger: TestCluster.logger) { client in
            _ = try await WorkflowStore(client: client, logger: TestCluster.logger, clock: clock).fireDueTimers()
        }
    }
}
