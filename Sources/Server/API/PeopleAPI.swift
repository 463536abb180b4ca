import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence

extension APIHandler {
    // MARK: - API tokens

    func listApiTokens(_ input: Operations.ListApiTokens.Input) async throws -> Operations.ListApiTokens.Output {
        let identity = try Self.caller()
        let tokens = try await accounts.apiTokens(of: identity.personID)
        return .ok(.init(body: .json(.init(items: tokens.map(Components.Schemas.ApiToken.init)))))
    }

    func createApiToken(_ input: Operations.CreateApiToken.Input) async throws -> Operations.CreateApiToken.Output {
        let identity = try Self.caller()
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let (info, token) = try await Self.domain {
            try await accounts.createAPIToken(for: identity, name: body.name, lifetimeDays: body.lifetimeDays ?? 365)
        }
        return .created(.init(body: .json(.init(token: token, info: .init(info)))))
    }

    func revokeApiToken(_ input: Operations.RevokeApiToken.Input) async throws -> Operations.RevokeApiToken.Output {
        let identity = try Self.caller()
        let id = try Self.uuid(input.path.tokenId, "API token")
        try await Self.domain { try await accounts.revokeAPIToken(id, of: identity.personID) }
        sessions.forget(person: identity.personID)
        return .noContent(.init())
    }

    // MARK: - Invitations

    func createInvitation(_ input: Operations.CreateInvitation.Input) async throws -> Operations.CreateInvitation.Output {
        let identity = try Self.caller()
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let role = Role(rawValue: body.role.rawValue) else { throw Problem.badRequest("Unknown role.") }
        let request = InvitationRequest(
            email: try Self.require(body.email, "email", max: 320), displayName: try Self.require(body.displayName, "display_name", max: 200),
            role: role, practiceID: try body.practiceId.map { try Self.uuid($0, "practice") },
            discipline: body.discipline.flatMap { Discipline(rawValue: $0.rawValue) })
        // A practice admin inviting into another practice learns nothing about it: same as a missing practice.
        if let practice = request.practiceID, AccessPolicy.hidesPractice(practice, fromInviter: identity) {
            throw Problem.notFound("No practice \(practice.uuidString.lowercased()).")
        }
        let invitation = try await Self.domain { try await accounts.invite(request, by: identity) }
        return .created(.init(body: .json(.init(
            id: Self.id(invitation.id), email: invitation.email, role: invitation.role.rawValue, expiresAt: invitation.expiresAt,
            token: invitation.token, acceptPath: "/api/v1/invitations/accept"))))
    }

    func acceptInvitation(_ input: Operations.AcceptInvitation.Input) async throws -> Operations.AcceptInvitation.Output {
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard body.token.count <= 200, body.password.count <= 256 else { throw Problem.badRequest("token or password too long.") }
        let session = try await Self.domain { try await accounts.acceptInvitation(token: body.token, password: body.password) }
        return .created(.init(body: .json(.init(token: session.token, expiresAt: session.expiresAt, person: .init(session.identity)))))
    }

    // MARK: - People

    func listPeople(_ input: Operations.ListPeople.Input) async throws -> Operations.ListPeople.Output {
        let identity = try Self.caller()
        let limit = try Self.pageSize(input.query.limit)
        let practice: UUID?
        switch AccessPolicy.practiceScope(as: identity) {
        case .all: practice = nil
        case let .practice(own): practice = own
        case .none: throw Problem.forbidden("The people directory is for staff and a practice's own people.")
        }
        let cursor = try input.query.cursor.map(PageCursor.decodeNamed)
        let fetched = try await workflow.people(practice: practice, role: input.query.role.flatMap { Role(rawValue: $0.rawValue) },
                                                after: cursor, limit: limit + 1)
        let people = Array(fetched.prefix(limit))
        let next = fetched.count > limit ? people.last.map { PageCursor.encodeNamed($0.email, $0.id) } : nil
        // Deactivated people stay listed (their names are on records), marked.
        let deactivated = try await accounts.deactivations(of: people.map(\.id))
        return .ok(.init(body: .json(.init(items: people.map { Components.Schemas.Person($0, deactivatedAt: deactivated[$0.id]) }, nextCursor: next))))
    }

    // MARK: - Offboarding and role changes

    func deactivatePerson(_ input: Operations.DeactivatePerson.Input) async throws -> Operations.DeactivatePerson.Output {
        let identity = try Self.caller()
        // Decided before any lookup, so other roles learn nothing about who exists.
        guard AccessPolicy.canManagePeople(identity) else { throw Problem.forbidden("Only staff deactivate people.") }
        let person = try Self.uuid(input.path.personId, "person")
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let done = try await Self.domain { try await accounts.deactivate(person, by: identity, reason: body.reason) }
        sessions.forget(person: person)
        return .ok(.init(body: .json(.init(person: .init(done.person), sessionsEnded: done.sessionsEnded, invitationsRevoked: done.invitationsRevoked))))
    }

    func changePersonRole(_ input: Operations.ChangePersonRole.Input) async throws -> Operations.ChangePersonRole.Output {
        let identity = try Self.caller()
        guard AccessPolicy.canManagePeople(identity) else { throw Problem.forbidden("Only staff change a person's role or practice.") }
        let person = try Self.uuid(input.path.personId, "person")
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        guard let role = Role(rawValue: body.role.rawValue) else { throw Problem.badRequest("Unknown role.", field: "role") }
        let assignment = RoleAssignment(role: role, practiceID: try body.practiceId.map { try Self.uuid($0, "practice") },
                                        discipline: body.discipline.flatMap { Discipline(rawValue: $0.rawValue) })
        let account = try await Self.domain { try await accounts.changeRole(of: person, to: assignment, by: identity, reason: body.reason ?? "") }
        sessions.forget(person: person)
        return .ok(.init(body: .json(.init(account))))
    }

    func declareAffiliation(_ input: Operations.DeclareAffiliation.Input) async throws -> Operations.DeclareAffiliation.Output {
        let identity = try Self.caller()
        let person = try Self.uuid(input.path.personId, "person")
        guard AccessPolicy.canDeclareAffiliations(of: person, as: identity) else {
            throw Problem.notFound("No person \(input.path.personId).")
        }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        let practice = try body.practiceId.map { try Self.uuid($0, "practice") }
        let facility = try body.facilityId.map { try Self.uuid($0, "facility") }
        guard practice != nil || facility != nil else { throw Problem.badRequest("Name the practice_id or the facility_id.") }
        let nature = try Self.require(body.nature, "nature", max: 500)
        try await Self.domain { try await workflow.declareAffiliation(surveyor: person, practiceID: practice, facilityID: facility, nature: nature) }
        return .noContent(.init())
    }

    func listMyAssignments(_ input: Operations.ListMyAssignments.Input) async throws -> Operations.ListMyAssignments.Output {
        let identity = try Self.caller()
        let items = try await workflow.assignments(surveyor: identity.personID)
        return .ok(.init(body: .json(.init(items: items.map(Components.Schemas.Assignment.init)))))
    }
}

extension Components.Schemas.ApiToken {
    init(_ info: APITokenInfo) {
        self.init(id: APIHandler.id(info.id), name: info.name, createdAt: info.createdAt, expiresAt: info.expiresAt, revokedAt: info.revokedAt)
    }
}

extension Components.Schemas.Person {
    init(_ person: PersonView, deactivatedAt: Date? = nil) {
        self.init(id: APIHandler.id(person.id), email: person.email, displayName: person.displayName,
                  role: APIHandler.wire(person.role), practiceId: person.practiceID.map(APIHandler.id),
                  discipline: person.discipline.flatMap { .init(rawValue: $0.rawValue) }, deactivatedAt: deactivatedAt)
    }

    init(_ account: PersonAccount) {
        self.init(account.person, deactivatedAt: account.deactivatedAt)
    }
}

extension Components.Schemas.Assignment {
    init(_ assignment: AssignmentView) {
        self.init(id: APIHandler.id(assignment.id), applicationId: APIHandler.id(assignment.applicationID),
                  surveyorId: APIHandler.id(assignment.surveyorID), surveyorName: assignment.surveyorName,
                  discipline: assignment.discipline.flatMap { .init(rawValue: $0) }, state: APIHandler.wire(assignment.state),
                  version: assignment.version, attestedAt: assignment.attestedAt)
    }
}
