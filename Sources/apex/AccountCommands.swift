import AccreditationCore
import ArgumentParser
import Foundation
import Persistence
import Server

/// Bootstrapping staff accounts from the command line; practices and surveyors are invited by staff.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create staff accounts and set passwords.",
        subcommands: [CreateStaff.self, SetPassword.self]
    )

    struct CreateStaff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-staff",
            abstract: "Create an ASTRO staff (or administrator) account; set its password with set-password."
        )

        @Argument(help: "Email address (the sign-in name).") var email: String
        @Argument(help: "Name shown to others.") var name: String
        @Flag(help: "Create an administrator instead of a staff member.") var administrator = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            // The same canonical form as sign-in and invitations, so the account is found however it is typed.
            let email: String
            do { email = try EmailAddress(self.email).canonical } catch { throw ValidationError(error.description) }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("The name is empty.") }
            let configuration = try CLI.resolve(database.flags)
            let logger = CLI.logger(configuration)
            try await CLI.reportingFailure(logger) {
                let id = try await ApexServer.withMigratedDatabase(configuration, logger: logger) { _, client in
                    try await WorkflowStore(client: client, logger: logger)
                        .createPerson(email: email, name: name, role: administrator ? .administrator : .staff)
                }
                print("Created \(administrator ? "administrator" : "staff member") \(email) (\(id.uuidString.lowercased())).")
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a person's password, read from standard input (one line), so it never appears in a command line.",
            discussion: "Ends the person's sessions and API tokens, revokes the invitations they sent that are still open, and lifts a sign-in lock."
        )

        @Argument(help: "Email address of the account.") var email: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let email: String
            do { email = try EmailAddress(self.email).canonical } catch { throw ValidationError(error.description) }
            guard let password = readLine(strippingNewline: true) else { throw ValidationError("Give the password on standard input.") }
            if let problem = PasswordPolicy.problem(with: password) { throw ValidationError(problem) }
            let configuration = try CLI.resolve(database.flags)
            let logger = CLI.logger(configuration)
            try await CLI.reportingFailure(logger) {
                try await ApexServer.withMigratedDatabase(configuration, logger: logger) { _, client in
                    var person: UUID?
                    for try await id in try await client.query(
                        "SELECT id FROM people WHERE email = \(email)", logger: logger
                    ).decode(UUID.self) { person = id }
                    guard let person else { throw WorkflowError.notFound("Account \(email)") }
                    try await AccountStore(client: client, logger: logger, settings: configuration.accounts).setPassword(person: person, password: password)
                }
                print("Password set for \(email); its sessions, API tokens and open invitations were ended.")
            }
        }
    }
}
