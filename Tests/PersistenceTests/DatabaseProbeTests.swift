import Logging
import Persistence
import Testing

@Suite struct DatabaseProbeTests {
    @Test func unreachableServerNamesHostAndReason() async throws {
        let settings = try DatabaseSettings(url: "postgres://apex@127.0.0.1:1/apex?sslmode=disable")
        await #expect {
            try await Database.probe(settings, logger: Logger(label: "test"))
        } throws: { error in
            let message = String(describing: error)
            return message.contains("127.0.0.1:1") && message.lowercased().contains("refused")
        }
    }

    @Test func unknownHostNamesHost() async throws {
        let settings = try DatabaseSettings(url: "postgres://apex@no-such-host.invalid:5432/apex?sslmode=disable")
        await #expect {
            try await Database.probe(settings, logger: Logger(label: "test"))
        } throws: { error in
            String(describing: error).hasPrefix("Cannot connect to the database at no-such-host.invalid:5432: ")
        }
    }
}
