import AccreditationCore
import APIDefinition
import Foundation
import OpenAPIRuntime
import Persistence

/// The request's signed-in person and client address, set by `AuthMiddleware` for the operations.
enum RequestScope {
    @TaskLocal static var identity: Identity?
    @TaskLocal static var token: String?
    @TaskLocal static var address = "unknown"
    @TaskLocal static var requestID: String?
}

extension APIHandler {
    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        do {
            let session = try await accounts.login(email: body.email, password: body.password, address: RequestScope.address)
            return .ok(.init(body: .json(.init(token: session.token, expiresAt: session.expiresAt, person: .init(session.identity)))))
        } catch let AccountError.invalidCredentials(failures) {
            // Each failure in a row answers a little later, up to two seconds.
            try await Task.sleep(for: failureDelay * min(failures, 8))
            return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized("The email or password is not right."))))
        } catch let AccountError.locked(until) {
            return .tooManyRequests(.init(headers: .init(retryAfter: retryAfter(until)), body: .applicationProblemJson(Self.locked(retryAfter(until)))))
        } catch let busy as SignInsInProgress {
            return .tooManyRequests(.init(headers: .init(retryAfter: busy.retryAfter), body: .applicationProblemJson(Self.inProgress(busy))))
        } catch let problem as EmailAddress.Problem {
            // Refused the same way as in an invitation: no address with an invisible character has an account.
            throw Problem.badRequest(problem.description, field: "email")
        }
    }

    /// Whole seconds until a lock ends, at least one.
    private func retryAfter(_ until: Date) -> Int { max(1, Int(until.timeIntervalSince(accounts.now()).rounded(.up))) }

    /// Only said when a lock is stored: its end gives the seconds.
    static func locked(_ seconds: Int) -> Components.Schemas.Problem {
        .init(_type: Problem.typeBase + "locked", title: "Too many failed sign-ins", status: 429,
              detail: "Signing in is locked for \(seconds) second(s) after repeated failures.")
    }

    /// Not a lock: other sign-ins are being checked; the next one may well go through.
    static func inProgress(_ busy: SignInsInProgress) -> Components.Schemas.Problem {
        .init(_type: Problem.typeBase + "sign-ins-in-progress", title: "Too many sign-ins in progress", status: 429, detail: busy.description)
    }

    func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        guard let token = RequestScope.token else { return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized()))) }
        do {
            try await accounts.logout(token: token)
            if let person = RequestScope.identity?.personID { sessions.forget(person: person) }
            return .noContent(.init())
        } catch AccountError.unauthenticated {
            return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized())))
        }
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        guard let token = RequestScope.token, RequestScope.identity != nil else {
            return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized())))
        }
        guard case let .json(body) = input.body else { throw Problem.unsupportedMediaType }
        do {
            try await accounts.changePassword(token: token, current: body.currentPassword, new: body.newPassword, address: RequestScope.address)
            if let person = RequestScope.identity?.personID { sessions.forget(person: person) }
            return .noContent(.init())
        } catch let AccountError.invalidCredentials(failures) {
            try await Task.sleep(for: failureDelay * min(failures, 8))
            return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized("The current password is not right."))))
        } catch let AccountError.locked(until) {
            return .tooManyRequests(.init(headers: .init(retryAfter: retryAfter(until)), body: .applicationProblemJson(Self.locked(retryAfter(until)))))
        } catch let busy as SignInsInProgress {
            return .tooManyRequests(.init(headers: .init(retryAfter: busy.retryAfter), body: .applicationProblemJson(Self.inProgress(busy))))
        } catch let error as AccountError {
            throw Problem(error)
        }
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        guard let identity = RequestScope.identity else { return .unauthorized(.init(body: .applicationProblemJson(Self.unauthorized()))) }
        return .ok(.init(body: .json(.init(identity))))
    }

    static func unauthorized(_ detail: String = "Sign in and send the token as Authorization: Bearer <token>.") -> Components.Schemas.Problem {
        .init(_type: Problem.typeBase + "unauthenticated", title: "Not signed in", status: 401, detail: detail)
    }
}

extension Components.Schemas.Me {
    init(_ identity: Identity) {
        self.init(id: identity.personID.uuidString.lowercased(), email: identity.email, displayName: identity.displayName,
                  role: .init(rawValue: identity.role.rawValue)!, practiceId: identity.practiceID?.uuidString.lowercased())
    }
}
