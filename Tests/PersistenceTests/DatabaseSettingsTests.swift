import Persistence
import Testing

@Suite struct DatabaseSettingsTests {
    @Test func parsesAFullURL() throws {
        let settings = try DatabaseSettings(url: "postgres://apex:s%40cret@db.internal:6543/accreditation?sslmode=require")
        #expect(settings.endpoint == .tcp(host: "db.internal", port: 6543))
        #expect(settings.username == "apex")
        #expect(settings.password == "s@cret")
        #expect(settings.database == "accreditation")
        #expect(settings.tls == .require)
        #expect(!settings.redacted.contains("cret"))
    }

    @Test func defaultsPortAndAcceptsPostgresqlScheme() throws {
        let settings = try DatabaseSettings(url: "postgresql://apex@localhost/apex")
        #expect(settings.endpoint == .tcp(host: "localhost", port: 5432))
        #expect(settings.password == nil)
        #expect(settings.tls == .prefer)
    }

    @Test func acceptsASocketFolder() throws {
        let settings = try DatabaseSettings(url: "postgres://apex@localhost/apex?host=/run/postgresql")
        #expect(settings.endpoint == .unixSocket(path: "/run/postgresql/.s.PGSQL.5432"))
    }

    @Test(arguments: [
        ("not a url at all", "expected postgres://"),
        ("mysql://u@h/db", "the scheme is 'mysql'"),
        ("postgres://u@h", "names no database"),
        ("postgres://h:5432/db", "names no user"),
        ("postgres://u@h:99999/db", "out of range"),
        ("postgres://u@h/db?sslmode=sometimes", "sslmode 'sometimes'"),
        ("postgres://u@h/db?pool=5", "unsupported parameter 'pool'"),
    ])
    func rejectsMalformedURLs(url: String, expected: String) {
        #expect {
            try DatabaseSettings(url: url)
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix("DATABASE_URL is malformed") && message.contains(expected)
        }
    }
}
