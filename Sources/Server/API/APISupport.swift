import AccreditationCore
import APIDefinition
import Foundation
import Logging
import Persistence
import UseCases

/// What every operation shares: who is asking, whether they may see the application, and one mapping
/// from the domain's refusals to problem documents. Handlers throw `Problem`s; the problem middleware
/// writes them, so each kind of error has one status and one `type` everywhere.
extension APIHandler {
    /// A domain value as the document's enum of the same values. The document lists every case of the
    /// domain's enum (`WireEnumTests` holds them to that), so a value without a wire case is a build that
    /// disagrees with itself: stopped loudly like an unhandled case, never answered with a default.
    static func wire<Wire: RawRepresentable, Domain: RawRepresentable>(_ value: Domain) -> Wire
        where Wire.RawValue == String, Domain.RawValue == String {
        guard let wire = Wire(rawValue: value.rawValue) else { preconditionFailure("No \(Wire.self) for \(Domain.self).\(value.rawValue)") }
        return wire
    }

    /// The term as the document's enum (3 or 4 years; the database refuses any other).
    static func wire(term years: Int) -> Components.Schemas.Application.TermYearsPayload {
        guard let wire = Components.Schemas.Application.TermYearsPayload(rawValue: years) else { preconditionFailure("A term of \(years) years") }
        return wire
    }

    /// The use cases the pages share (one rule, one place).
    var workspace: Workspace { Workspace(workflow: workflow) }
    /// Evidence uploads, the same steps as the portal's.
    var uploads: EvidenceUploads { EvidenceUploads(workspace: workspace, storage: storage, maxBytes: maxUploadBytes) }

    /// The signed-in person; without one the operation answers 401 (deny by default).
    static func caller() throws -> Identity {
        guard let identity = RequestScope.identity else { throw Problem.unauthenticated }
        return identity
    }

    /// The application if the caller may see it. A malformed id, a missing application and another
    /// tenant's application all answer the same 404, so nothing can be discovered by probing.
    func visibleApplication(_ raw: String) async throws -> (id: UUID, identity: Identity) {
        let identity = try Self.caller()
        guard let id = UUID(uuidString: raw), let facts = try await workflow.accessFacts(application: id),
              AccessPolicy.canView(facts, as: identity) else { throw Problem.notFound("No application \(raw).") }
        return (id, identity)
    }

    static func uuid(_ raw: String, _ what: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw Problem.notFound("No \(what) \(raw).") }
        return id
    }

    /// Runs a domain call, turning its refusals into problems.
    static func domain<T>(ifMatch: Bool = false, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as WorkflowError {
            throw Problem(error, ifMatch: ifMatch)
        } catch let error as AccountError {
            throw Problem(error)
        } catch let error as StorageError {
            throw Problem(error)
        } catch let error as FieldError {
            throw Problem.badRequest(error.message, field: error.field)
        }
    }

    /// The version a caller saw: `If-Match` (the ETag) first, else the body's `version`.
    static func expectedVersion(ifMatch: String?, body: Int?) throws -> Int {
        if let ifMatch {
            guard let parsed = version(fromIfMatch: ifMatch) else { throw Problem.badRequest("If-Match must be an ETag this server sent, e.g. \"v3\".", field: "If-Match") }
            return parsed
        }
        guard let body else { throw Problem.badRequest("Send the version you saw, as If-Match (the ETag) or as version in the body.") }
        return body
    }

    static func etag(_ version: Int) -> String { "\"v\(version)\"" }

    /// `"v3"`, `W/"v3"`, `"3"` or `3`.
    static func version(fromIfMatch header: String) -> Int? {
        var text = header.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        if text.hasPrefix("v") { text.removeFirst() }
        return Int(text)
    }

    /// An indicator code as the document's pattern has it (the generated code does not check patterns).
    static func indicatorCode(_ code: String) throws -> String {
        do { return try IndicatorCode(code).value } catch { throw Problem.badRequest(error.message) }
    }

    /// Text the document limits but the generated decoder does not check (the rule is `BoundedText`'s).
    static func require(_ text: String, _ field: String, max: Int, allowEmpty: Bool = false) throws -> String {
        do { return try BoundedText(text, field: field, max: max, allowEmpty: allowEmpty).value } catch {
            throw Problem.badRequest(error.message, field: error.field)
        }
    }

    /// A calendar date from outside, checked at the boundary: exactly `YYYY-MM-DD`, a real day, years
    /// 1...9999. Otherwise 400 naming `field`, before any database sees the text.
    static func calendarDate(_ raw: String, _ field: String) throws -> CalendarDate {
        guard let date = CalendarDate(raw) else {
            throw Problem.badRequest("\(field) is a calendar date, YYYY-MM-DD (years 0001 to 9999).", field: field)
        }
        return date
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// The service logger with this request's id and person, so handler log lines can be found by request id.
    var requestLogger: Logger {
        var logger = logger
        if let id = RequestScope.requestID { logger[metadataKey: "request_id"] = .string(id) }
        if let person = RequestScope.identity?.personID { logger[metadataKey: "person"] = .string(person.uuidString.lowercased()) }
        return logger
    }
}

extension Problem {
    static let unauthenticated = Problem(status: .unauthorized, type: typeBase + "unauthenticated", title: "Not signed in",
                                         detail: "Sign in and send the token as Authorization: Bearer <token>.")

    static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: typeBase + "role-not-allowed", title: "Not allowed for this role", detail: detail)
    }

    static func unprocessable(_ detail: String) -> Problem {
        Problem(status: .unprocessableContent, type: typeBase + "invalid", title: "Invalid request", detail: detail)
    }

    static func conflict(_ type: String, _ title: String, _ detail: String) -> Problem {
        Problem(status: .conflict, type: typeBase + type, title: title, detail: detail)
    }

    init(_ error: WorkflowError, ifMatch: Bool) {
        switch error {
        case let .notFound(what):
            self = .notFound("\(what) was not found.")
        case .stale:
            self.init(status: ifMatch ? .preconditionFailed : .conflict, type: Problem.typeBase + "stale-version", title: "Stale version",
                      detail: error.description)
        case .refused(.notAllowedInState), .refused(.unknownAction), .refused(.applicationNotOpen):
            self = .conflict("not-allowed-in-state", "Not possible now", error.description)
        case .refused(.roleNotAllowed):
            self = .forbidden(error.description)
        case let .refused(.guardFailed(rule, _)):
            self.init(status: .unprocessableContent, type: Problem.typeBase + "guard-refused/" + rule.rawValue,
                      title: "Refused by guard \(rule.rawValue)", detail: error.description)
        case .invalid:
            self = .unprocessable(error.description)
        }
    }

    init(_ error: AccountError) {
        switch error {
        case .weakPassword:
            self.init(status: .unprocessableContent, type: Problem.typeBase + "weak-password", title: "Password too weak", detail: error.description)
        case .invitationUnusable:
            self = .notFound(error.description)
        case .unauthenticated, .invalidCredentials:
            self = .unauthenticated
        case .locked:
            self.init(status: .tooManyRequests, type: Problem.typeBase + "locked", title: "Too many failed sign-ins", detail: error.description)
        }
    }

    init(_ error: StorageError) {
        switch error {
        case .tooLarge:
            self.init(status: .contentTooLarge, type: Problem.typeBase + "too-large", title: "Upload too large", detail: error.description)
        case .unsupportedType:
            self.init(status: .unsupportedMediaType, type: Problem.typeBase + "unsupported-file-type", title: "Unsupported file type", detail: error.description)
        case .empty:
            self.init(status: .unprocessableContent, type: Problem.typeBase + "empty-file", title: "Empty file", detail: error.description)
        case .missing, .corrupt:
            self = .internalError
        }
    }
}
