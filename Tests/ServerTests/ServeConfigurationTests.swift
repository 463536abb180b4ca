import AccreditationCore
import Foundation
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
        (["APEX_EVIDENCE_DIR": " "], "Invalid APEX_EVIDENCE_DIR value  : expected a folder path."),
        (["APEX_MAX_UPLOAD_BYTES": "100MB"], "Invalid APEX_MAX_UPLOAD_BYTES value 100MB: expected a whole number of bytes from 1 to 1099511627776."),
        (["APEX_MAX_UPLOAD_BYTES": "0"], "Invalid APEX_MAX_UPLOAD_BYTES value 0: expected a whole number of bytes from 1 to 1099511627776."),
        (["APEX_MAX_UPLOAD_BYTES": "-5"], "Invalid APEX_MAX_UPLOAD_BYTES value -5: expected a whole number of bytes from 1 to 1099511627776."),
        (["APEX_PUBLIC_ORIGIN": "apex.example.org"], "Invalid APEX_PUBLIC_ORIGIN value apex.example.org: expected an origin such as https://apex.example.org (scheme, host and optional port only)."),
        (["APEX_PUBLIC_ORIGIN": "ftp://apex.example.org"], "Invalid APEX_PUBLIC_ORIGIN value ftp://apex.example.org: expected an origin such as https://apex.example.org (scheme, host and optional port only)."),
        (["APEX_PUBLIC_ORIGIN": "https://apex.example.org/portal"], "Invalid APEX_PUBLIC_ORIGIN value https://apex.example.org/portal: expected an origin such as https://apex.example.org (scheme, host and optional port only)."),
        (["APEX_PUBLIC_ORIGIN": "https://user@apex.example.org"], "Invalid APEX_PUBLIC_ORIGIN value https://user@apex.example.org: expected an origin such as https://apex.example.org (scheme, host and optional port only)."),
    ])
    func rejectsBadEnvironmentValues(environment: [String: String], message: String) {
        #expect {
            try ServeConfiguration.resolve(flags: .init(), environment: environment)
        } throws: { error in
            String(describing: error) == message
        }
    }

    @Test func evidenceFolderAndUploadLimit() throws {
        let defaults = try ServeConfiguration.resolve(flags: .init(), environment: ["APEX_DATA_DIR": "/srv/apex"])
        #expect(defaults.evidenceRoot == "/srv/apex/evidence" && defaults.maxUploadBytes == 100 << 20)
        var flags = ServeConfiguration.Flags()
        flags.maxUploadBytes = "2147483648"
        flags.evidenceFolder = "/mnt/evidence"
        let configured = try ServeConfiguration.resolve(flags: flags, environment: ["APEX_MAX_UPLOAD_BYTES": "10"])
        #expect(configured.evidenceRoot == "/mnt/evidence" && configured.maxUploadBytes == 2 << 30)
    }

    @Test func publicOrigin() throws {
        #expect(try ServeConfiguration.resolve(flags: .init(), environment: [:]).publicOrigin == nil)
        var flags = ServeConfiguration.Flags()
        flags.publicOrigin = "HTTPS://Apex.Example.org:8443/"
        #expect(try ServeConfiguration.resolve(flags: flags, environment: ["APEX_PUBLIC_ORIGIN": "http://ignored"]).publicOrigin
                == "https://apex.example.org:8443")
    }

    @Test func requestDeadlineAndShutdownGrace() throws {
        let defaults = try ServeConfiguration.resolve(flags: .init(), environment: [:])
        #expect(defaults.requestDeadline == .seconds(30) && defaults.shutdownGrace == .seconds(15))
        var flags = ServeConfiguration.Flags()
        flags.requestDeadline = "5"
        let configured = try ServeConfiguration.resolve(flags: flags, environment: ["APEX_REQUEST_DEADLINE": "9", "APEX_SHUTDOWN_GRACE": "60"])
        #expect(configured.requestDeadline == .seconds(5) && configured.shutdownGrace == .seconds(60))
        for bad in ["0", "3601", "-5", "+5", "1e2", "5s", " 5", "1.5", "99999999999999999999"] {
            #expect(throws: ConfigurationError(source: "APEX_REQUEST_DEADLINE", value: bad, expected: "a whole number of seconds from 1 to 3600")) {
                try ServeConfiguration.resolve(flags: .init(), environment: ["APEX_REQUEST_DEADLINE": bad])
            }
            var badFlags = ServeConfiguration.Flags()
            badFlags.shutdownGrace = bad
            #expect(throws: ConfigurationError(source: "--shutdown-grace", value: bad, expected: "a whole number of seconds from 1 to 3600")) {
                try ServeConfiguration.resolve(flags: badFlags, environment: [:])
            }
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

    func settingsFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("apex-workflow-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func workflowSettingsFromAFile() throws {
        let path = try settingsFile("appeal_window_days: 45\nexpiry_reminder_days: [120, 60, 7]\nlevel_two_threshold: 0.9\n")
        let configuration = try ServeConfiguration.resolve(flags: .init(), environment: ["APEX_WORKFLOW_SETTINGS": path])
        #expect(configuration.workflow.appealWindowDays == 45)
        #expect(configuration.workflow.expiryReminderDays == [120, 60, 7])
        #expect(configuration.workflow.levelTwoThreshold == 0.9)
        #expect(configuration.workflow.selfAssessmentWindowDays == WorkflowSettings().selfAssessmentWindowDays)
    }

    @Test(arguments: [
        ("appeal_window: 30\n", "known keys only"),
        ("appeal_window_days: -1\n", "appeal_window_days to be a whole number of days from 1 to 3650"),
        ("appeal_window_days: thirty\n", "appeal_window_days to be a whole number of days"),
        ("level_two_threshold: 1.5\n", "level_two_threshold to be a number from 0 to 1"),
        ("expiry_reminder_days: 90\n", "expiry_reminder_days to be a list"),
        ("- just a list\n", "a mapping of setting names to values"),
        ("key: [unclosed\n", "valid YAML"),
    ])
    func badWorkflowSettings(text: String, expected: String) throws {
        let path = try settingsFile(text)
        #expect {
            try ServeConfiguration.resolve(flags: .init(), environment: ["APEX_WORKFLOW_SETTINGS": path])
        } throws: { error in
            String(describing: error).contains(expected) && String(describing: error).contains(path)
        }
    }

    @Test func missingWorkflowSettingsFile() {
        var flags = ServeConfiguration.Flags()
        flags.workflowSettings = "/nonexistent/workflow.yaml"
        #expect(throws: ConfigurationError(source: "workflow settings file", value: "/nonexistent/workflow.yaml", expected: "a readable UTF-8 file")) {
            try ServeConfiguration.resolve(flags: flags, environment: [:])
        }
    }
}
