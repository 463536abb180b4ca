import AccreditationCore
import ArgumentParser
import Foundation
import Persistence
import Server
import StandardsCatalog

struct Standards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate, compare, publish and query the standards catalog.",
        subcommands: [Validate.self, ExportJSON.self, Diff.self, Applicable.self, Publish.self, Retire.self]
    )

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check catalog releases and report every problem as file:line:column: message."
        )

        @Argument(help: "A release folder, or a folder holding release folders.")
        var path = "Standards"

        func run() async throws {
            let folders = try CLI.catalog { try CatalogLoader.releaseFolders(under: path) }
            var problems = 0
            for folder in folders {
                let (release, issues) = CatalogLoader.read(folder: folder)
                issues.forEach { print($0.description) }
                problems += issues.count
                if let release {
                    print("\(folder): \(release.releaseID) is valid (\(release.indicators.count) indicators in \(release.domains.count) domains)")
                }
            }
            if problems > 0 {
                FileHandle.standardError.write(Data("\(problems) problem(s) found.\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct ExportJSON: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-json",
            abstract: "Print what apex read from catalog releases (and scope files) as JSON.",
            discussion: """
                The files are validated first; when any has a problem, every problem is printed as \
                file:line:column: message and nothing is exported. Otherwise each file's content is printed as \
                apex typed it (numbers only from plain decimals), with the line:column of every value by JSON \
                Pointer. scripts/check-schema.py checks this output against Standards/catalog.schema.json, so \
                the schema and apex judge the same reading of the files.
                """
        )

        @Argument(help: "A release folder, or a folder holding release folders.")
        var path = "Standards"
        @Option(help: "A practice scope file to export as well (repeatable).")
        var scope: [String] = []

        func run() async throws {
            let document = try CLI.catalog {
                try CatalogExport.document(releaseFolders: try CatalogLoader.releaseFolders(under: path), scopeFiles: scope)
            }
            FileHandle.standardOutput.write(try CatalogExport.json(document))
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List indicators added, removed and changed (field by field) between two releases.",
            discussion: "OLD and NEW are release folders, or ids of published releases (apex-rpt@2026.1), read from the database."
        )

        @Argument(help: "The older release: a folder or a published release id.") var old: String
        @Argument(help: "The newer release: a folder or a published release id.") var new: String
        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let releases = try await CLI.releases([old, new], database: database)
            let diff = CatalogDiff(old: releases[0], new: releases[1])
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(diff), as: UTF8.self))
            } else {
                print(diff.text)
            }
        }
    }

    struct Applicable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which indicators apply to a practice's declared scope, and why."
        )

        @Option(help: "YAML file declaring the practice's scope (see docs/examples).") var scope: String
        @Option(help: "A release folder or a published release id.") var release = "Standards/apex-rpt/2026.1"
        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let practiceScope = try CLI.catalog { try ScopeLoader.load(file: scope) }
            let catalog = try await CLI.releases([release], database: database)[0]
            let decisions = catalog.applicability(for: practiceScope)
            if json {
                let items = decisions.map { ApplicabilityJSON($0, jurisdiction: practiceScope.jurisdiction) }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(items), as: UTF8.self))
                return
            }
            for decision in decisions {
                let mark = decision.applies ? "applies " : "n/a     "
                print("\(mark) \(decision.indicator.indicator.code)  L\(decision.indicator.indicator.level.rawValue)  \(decision.reason)")
            }
            print("\(decisions.filter(\.applies).count) of \(decisions.count) indicators apply.")
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store published releases in the database. Publishing the same content again changes nothing; different content under a published id is refused."
        )

        @Argument(help: "A release folder, or a folder holding release folders.") var path: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let folders = try CLI.catalog { try CatalogLoader.releaseFolders(under: path) }
            let releases = try CLI.catalog { try folders.map { try CatalogLoader.load(folder: $0) } }
            let configuration = try CLI.resolve(database.flags)
            let logger = CLI.logger(configuration)
            try await CLI.reportingFailure(logger) {
                try await ApexServer.withMigratedDatabase(configuration, logger: logger) { store, _ in
                    for release in releases {
                        let outcome = try await store.publish(release)
                        print("\(release.releaseID): \(outcome.rawValue)")
                    }
                }
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire a published release: no new application may use it; nothing is deleted."
        )

        @Argument(help: "The release id, e.g. apex-rpt@2026.1.") var release: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let configuration = try CLI.resolve(database.flags)
            let logger = CLI.logger(configuration)
            try await CLI.reportingFailure(logger) {
                try await ApexServer.withMigratedDatabase(configuration, logger: logger) { store, _ in
                    try await store.retire(release)
                    print("\(release): retired")
                }
            }
        }
    }
}

/// One line of `apex standards applicable --json`.
struct ApplicabilityJSON: Encodable {
    let code: String
    let title: String
    let level: Int
    let applies: Bool
    let reason: String
    let references: [Citation]
    let thresholds: [String: Double]
    let jurisdictionNote: String?

    init(_ decision: ApplicabilityDecision, jurisdiction: String) {
        let indicator = decision.indicator.indicator
        let resolved = indicator.resolved(for: jurisdiction)
        code = indicator.code
        title = indicator.title
        level = indicator.level.rawValue
        applies = decision.applies
        reason = decision.reason
        references = resolved.references
        thresholds = resolved.thresholds
        jurisdictionNote = resolved.note
    }
}

extension CLI {
    /// Catalog problems print as `file:line:column: message` lines and exit non-zero.
    static func catalog<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let invalid as CatalogInvalid {
            FileHandle.standardError.write(Data((invalid.description + "\n").utf8))
            throw ExitCode.failure
        }
    }

    /// Each argument is a release folder when such a folder exists, else a published release id.
    static func releases(_ arguments: [String], database: DatabaseOptions) async throws -> [CatalogRelease] {
        var result: [CatalogRelease?] = try arguments.map { argument in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder), isFolder.boolValue else { return nil }
            return try catalog { try CatalogLoader.load(folder: argument) }
        }
        let missing = result.indices.filter { result[$0] == nil }
        guard !missing.isEmpty else { return result.compactMap { $0 } }
        let configuration = try resolve(database.flags)
        let logger = logger(configuration)
        let ids = missing.map { arguments[$0] }
        try await reportingFailure(logger) {
            let stored = try await ApexServer.withMigratedDatabase(configuration, logger: logger) { store, _ in
                var found: [CatalogRelease] = []
                for id in ids {
                    guard let release = try await store.release(id: id) else { throw CatalogStoreError.notFound(id) }
                    found.append(release.release)
                }
                return found
            }
            for (index, release) in zip(missing, stored) { result[index] = release }
        }
        return result.compactMap { $0 }
    }
}
