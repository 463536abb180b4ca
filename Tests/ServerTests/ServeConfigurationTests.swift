import Logging
import Persistence
import Server
import Testing

@Suite struct ServeConfigurationTests {
    @Test func defaultsWhenNothingIsGiven() throws {
        let configuration = try ServeConfiguration.resolve(flags: .init(), environment: [:])
        #expect(configuration == ServeConfiguration())
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8080 && configuration.dataFolder == ".apex")
        #expect(configuration.database == nil)
    }

    @Test func environmentOverDefaultsAndFlagsOverEnvironment() throws {
        let environment = [
            "APEX_HOST": "0.0.0.0", "APEX_PORT": "9000", "APEX_DATA_DIR": "/srv/apex",
            "DATABASE_URL": "postgres://apex:pw@db:5432/apex", "APEX_LOG_LEVEL": "debug", "APEX_LOG_FORMAT": "json",
        ]
        let fromEnvironment = try ServeConfiguration.resolve(flags: .init(), environment: environment)
        #expect(fromEnvironment.host == "0.0.0.0" && fromEnvironment.port == 9000 && fromEnvironment.dataFolder == "/srv/apex")
        #expect(fromEnvironment.database?.endpoint == .tcp(host: "db", port: 5432))
        #expect(fromEnvironment.logLevel == .debug && fromEnvironment.logFormat == .json)

        var flags = ServeConfiguration.Flags()
        flags.port = 7000
        flags.host = "::1"
        flags.databaseURL = "postgres://other@elsewhere/apex"
        let fromFlags = try ServeConfiguration.resolve(flags: flags, environment: environment)
        #expect(fromFlags.port == 7000 && fromFlags.host == "::1")
        #expect(fromFlags.database?.endpoint == .tcp(host: "elsewhere", port: 5432))
        #expect(fromFlags.dataFolder == "/srv/apex")
    }

    @Test(arguments: [
        (["APEX_PORT": "eighty"], "Invalid APEX_PORT value eighty: expected a port number from 0 to 65535."),
        (["APEX_PORT": "70000"], "Invalid APEX_PORT value 70000: expected a port number from 0 to 65535."),
        (["APEX_LOG_LEVEL": "loud"], "Invalid APEX_LOG_LEVEL value loud: expected one of trace, debug, info, notice, warning, error, critical."),
        (["APEX_LOG_FORMAT": "xml"], "Invalid APEX_LOG_FORMAT value xml: expected text or json."),
        (["APEX_DATA_DIR": "  "], "Invalid APEX_DATA_DIR value   : expected a folder path."),
    ])
    func rejectsBadEnvironmentValues(environment: [String: String], message: String) {
        #expect {
            try ServeConfiguration.resolve(flags: .init(), environment: environment)
        } throws: { error in
            String(describing: error) == message
        }
    }

    @Test func rejectsABadPortFlag() {
        var flags = ServeConfiguration.Flags()
        flags.port = -1
        #expect(throws: ConfigurationError(source: "--port", value: "-1", expected: "a port number from 0 to 65535")) {
            try ServeConfiguration.resolve(flags: flags, environment: [:])
        }
    }

    @Test func malformedDatabaseURLNeverEchoesTheSecret() {
        #expect {
            try ServeConfiguration.resolve(flags: .init(), environment: ["DATABASE_URL": "mysql://root:hunter2@db/apex"])
        } throws: { error in
            let message = String(describing: error)
            return message.contains("DATABASE_URL") && message.contains("the scheme is 'mysql'") && !message.contains("hunter2")
        }
    }
}
