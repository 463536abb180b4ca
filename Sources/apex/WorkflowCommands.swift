import AccreditationCore
import ArgumentParser
import Foundation
import Persistence
import Server

struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Show the workflow's state machines.",
        subcommands: [Diagram.self, Docs.self]
    )

    struct Diagram: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a state machine's diagram, generated from its transition table.")

        @Option(help: "mermaid or dot.") var format = "mermaid"
        @Argument(help: "application, evidence, assignment, rfi or corrective-action (default: all).") var machine: String?

        func run() throws {
            guard let format = DiagramFormat(rawValue: format) else {
                throw ValidationError("--format must be mermaid or dot, not '\(format)'.")
            }
            let machines = Workflows.diagrams.filter { machine == nil || $0.name == machine }
            guard !machines.isEmpty else {
                throw ValidationError("Unknown machine '\(machine ?? "")'; known: \(Workflows.diagrams.map(\.name).joined(separator: ", ")).")
            }
            print(machines.map { $0.render(format) }.joined(separator: "\n\n"))
        }
    }

    struct Docs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print docs/workflow.md, generated from the transition tables.")
        func run() { print(WorkflowDocument.markdown(), terminator: "") }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the tamper-evident history.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every application's history hash chain; report the first broken link of each and exit non-zero if any."
        )

        @Option(help: "Check only this application (its id).") var application: String?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let only: UUID?
            if let application {
                guard let id = UUID(uuidString: application) else { throw ValidationError("--application must be an application id (a UUID).") }
                only = id
            } else {
                only = nil
            }
            let configuration = try CLI.resolve(database.flags)
            let logger = CLI.logger(configuration)
            var intact = false
            try await CLI.reportingFailure(logger) {
                let report = try await ApexServer.withMigratedDatabase(configuration, logger: logger) { _, client in
                    try await HistoryChain(client: client, logger: logger).verify(application: only)
                }
                for broken in report.breaks { print("BROKEN \(broken)") }
                print("\(report.events) event(s) in \(report.applications) chain(s) checked: " + (report.isIntact ? "intact." : "\(report.breaks.count) chain(s) broken."))
                intact = report.isIntact
            }
            if !intact { throw ExitCode.failure }
        }
    }
}
