import AccreditationCore
import Foundation
import Hummingbird
import Persistence
import UseCases

/// The practice profile (facilities, RPT scope, the criteria it makes applicable) and its people.
extension WebController {
    func addPracticeRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("practice") { request, context in try await practicePage(request, context) }
        group.post("practice/scope") { request, context in try await updateScope(request, context) }
        group.post("practice/facilities") { request, context in try await addFacility(request, context) }
        group.get("practice/people") { request, context in try await peoplePage(request, context) }
        group.post("practice/invitations") { request, context in try await invite(request, context) }
    }

    struct ScopeForm: Decodable, Sendable {
        var agents: [String]?
        var inpatient_therapy: String?
        var patient_specific_dosimetry: String?
        var site_count: String?
        var licensed_use_types: String?
        var jurisdiction: String?
    }

    func practicePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        let profile = try await directory.profile(as: identity)
        var page = Self.practiceModel(profile, chrome: Chrome(identity: identity, sessionToken: token), form: nil)
        if request.uri.queryParameters["facility"] != nil { page.notice = Notice(text: "Facility added.", isError: false) }
        if request.uri.queryParameters["saved"] != nil {
            page.notice = Notice(text: "Scope saved. The criteria below follow it; applications already started keep the scope they began with.", isError: false)
        }
        return try renderer.page("practice", page)
    }

    func updateScope(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        let form = try await decode(ScopeForm.self, request, context, requireToken: true)
        func again(_ error: FieldError) async throws -> Response {
            var page = Self.practiceModel(try await directory.profile(as: identity), chrome: Chrome(identity: identity, sessionToken: token), form: form)
            page.error = error.message
            switch error.field {
            case "agents": page.agentsError = error.message
            case "site_count": page.siteCountError = error.message
            case "licensed_use_types": page.licensedUseTypesError = error.message
            default: page.jurisdictionError = error.message
            }
            page.notice = Notice(text: "The scope was not saved: \(error.message)", isError: true)
            return try renderer.page("practice", page, status: .unprocessableContent)
        }
        do {
            let agents = try (form.agents ?? []).map { raw throws(FieldError) -> RPTAgent in
                guard let agent = RPTAgent(rawValue: raw) else { throw FieldError(field: "agents", message: "Unknown agent '\(raw)'.") }
                return agent
            }
            let scope = try PracticeScope.checked(
                agents: agents, inpatientTherapy: form.inpatient_therapy == "yes", patientSpecificDosimetry: form.patient_specific_dosimetry == "yes",
                siteCount: try Self.whole(form.site_count, "site_count"), licensedUseTypes: try Self.whole(form.licensed_use_types, "licensed_use_types"),
                jurisdiction: (form.jurisdiction ?? "").trimmingCharacters(in: .whitespaces).uppercased())
            try await directory.updateScope(scope, as: identity)
            return .redirect(to: WebRoute.practice.path + "?saved=1", type: .normal)
        } catch let error as FieldError {
            return try await again(error)
        }
    }

    func addFacility(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var name: String?; var address: String?; var distance_miles: String? }
        let (identity, token) = try signedIn(context)
        let form = try await decode(Form.self, request, context, requireToken: true)
        do {
            let distance = (form.distance_miles ?? "").trimmingCharacters(in: .whitespaces)
            guard let miles = Double(distance), distance.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else {
                throw FieldError(field: "distance_miles", message: "distance_miles is a number of miles, such as 12.5.")
            }
            try await directory.addFacility(try FacilityRecord.checked(name: form.name ?? "", address: form.address ?? "", isMain: false,
                                                                       distanceMiles: miles), as: identity)
            return .redirect(to: WebRoute.practice.path + "?facility=1#facilities-heading", type: .normal)
        } catch let error as FieldError {
            var page = Self.practiceModel(try await directory.profile(as: identity), chrome: Chrome(identity: identity, sessionToken: token), form: nil)
            page.facilityError = error.message
            page.facilityName = form.name ?? ""
            page.facilityAddress = form.address ?? ""
            page.facilityDistance = form.distance_miles ?? ""
            page.notice = Notice(text: "The facility was not added: \(error.message)", isError: true)
            return try renderer.page("practice", page, status: .unprocessableContent)
        }
    }

    /// A whole number typed in a form: plain digits, as the API's integers.
    static func whole(_ raw: String?, _ field: String) throws(FieldError) -> Int {
        guard let raw, let value = PlainInteger.parse(raw.trimmingCharacters(in: .whitespaces)), let int = Int(exactly: value) else {
            throw FieldError(field: field, message: "\(field) is a whole number.")
        }
        return int
    }

    static func practiceModel(_ profile: PracticeProfile, chrome: Chrome, form: ScopeForm?) -> PracticePage {
        let record = profile.practice.record
        let scope = record.scope
        let chosenAgents = form.map { Set($0.agents ?? []) } ?? Set(scope.agents.map(\.rawValue))
        let decisions = profile.criteria?.decisions ?? []
        let criterion = { (decision: ApplicabilityDecision) in
            PracticePage.Criterion(code: decision.indicator.indicator.code, title: decision.indicator.indicator.title, reason: decision.reason)
        }
        let always = decisions.filter { $0.applies && $0.indicator.indicator.applicability == nil }.map(criterion)
        let applicable = decisions.filter { $0.applies && $0.indicator.indicator.applicability != nil }.map(criterion)
        let notApplicable = decisions.filter { !$0.applies }.map(criterion)
        return PracticePage(
            chrome: chrome, legalName: record.legalName, licenceNumber: record.licenceNumber, regulator: record.regulator,
            facilities: profile.practice.facilities.map {
                .init(name: $0.record.name, address: $0.record.address.isEmpty ? nil : $0.record.address,
                      kind: $0.record.isMain ? "Main facility" : "Satellite, \(Int($0.record.distanceMiles.rounded())) miles away")
            },
            canEdit: profile.canEdit,
            agents: RPTAgent.allCases.map { .init(value: $0.rawValue, label: Labels.agent($0), checked: chosenAgents.contains($0.rawValue), fieldID: "agent-" + $0.rawValue) },
            inpatientTherapy: form.map { $0.inpatient_therapy == "yes" } ?? scope.inpatientTherapy,
            patientSpecificDosimetry: form.map { $0.patient_specific_dosimetry == "yes" } ?? scope.patientSpecificDosimetry,
            siteCount: form?.site_count ?? String(scope.siteCount), licensedUseTypes: form?.licensed_use_types ?? String(scope.licensedUseTypes),
            jurisdiction: form?.jurisdiction ?? scope.jurisdiction, error: nil,
            hasCriteria: profile.criteria != nil,
            releaseLabel: profile.criteria.map { "\($0.release.title) (\($0.release.version))" } ?? "",
            always: always, alwaysCount: always.count,
            applicable: applicable, notApplicable: notApplicable, applicableCount: applicable.count + always.count, notApplicableCount: notApplicable.count)
    }

    func peoplePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (identity, token) = try signedIn(context)
        return try renderer.page("people", try await peopleModel(identity, token, email: "", name: "", role: nil))
    }

    func invite(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Form: Decodable { var email: String?; var display_name: String?; var role: String? }
        let (identity, token) = try signedIn(context)
        let form = try await decode(Form.self, request, context, requireToken: true)
        let email = form.email ?? "", name = form.display_name ?? ""
        let role = form.role.flatMap(Role.init(rawValue:))
        do {
            guard let role else { throw FieldError(field: "role", message: "Choose a role.") }
            let invitation = try await directory.invite(email: email, displayName: name, role: role, as: identity)
            var page = try await peopleModel(identity, token, email: "", name: "", role: nil)
            page.invitationLink = settings.link(WebRoute.acceptInvitation.path + "?token=" + invitation.token, for: request)
            page.invitedEmail = invitation.email
            return try renderer.page("people", page, status: .created)
        } catch let error as FieldError {
            var page = try await peopleModel(identity, token, email: email, name: name, role: role)
            page.error = error.message
            return try renderer.page("people", page, status: .unprocessableContent)
        } catch let error as WorkflowError {
            if case .notFound = error { throw error }
            var page = try await peopleModel(identity, token, email: email, name: name, role: role)
            page.error = PageBuilder.sentence(error)
            return try renderer.page("people", page, status: .unprocessableContent)
        }
    }

    func peopleModel(_ identity: Identity, _ token: String, email: String, name: String, role: Role?) async throws -> PeoplePage {
        let people = try await directory.people(as: identity)
        return PeoplePage(
            chrome: Chrome(identity: identity, sessionToken: token),
            people: people.people.map { .init(name: $0.displayName, email: $0.email, roleLabel: Labels.role($0.role)) },
            pending: people.pending.map { .init(name: $0.displayName, email: $0.email, roleLabel: Labels.role($0.role), expires: Labels.time($0.expiresAt)) },
            hasPending: !people.pending.isEmpty, canInvite: !people.invitableRoles.isEmpty,
            roles: people.invitableRoles.map { .init(value: $0.rawValue, label: Labels.role($0), selected: $0 == (role ?? .practiceContributor)) },
            email: email, displayName: name, error: nil, invitationLink: nil, invitedEmail: "")
    }
}
