import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import TestSupport
import Testing

/// One accreditation from first invitation to determination, over HTTP only, by staff, the practice and
/// two surveyors; the history tells the same story and its chain verifies.
@Suite struct EndToEndTests {
    static let staffPassword = "staff password 2026"

    static func seedStaff(_ settings: DatabaseSettings) async throws {
        try await Database.withClient(settings, logger: TestCluster.logger) { client in
            var accountSettings = AccountSettings()
            accountSettings.bcryptCost = 4
            let id = try await WorkflowStore(client: client, logger: TestCluster.logger)
                .createPerson(email: "lead@astro.example", name: "Intake Lead", role: .staff)
            try await AccountStore(client: client, logger: TestCluster.logger, settings: accountSettings).setPassword(person: id, password: staffPassword)
        }
    }

    /// A PDF-looking file with distinct content.
    static func pdf(_ label: String) -> ByteBuffer { ByteBuffer(string: "%PDF-1.4\n% \(label)\n" + String(repeating: "evidence ", count: 2_000) + "\n%%EOF\n") }

    @Test func accreditationFromInvitationToDetermination() async throws {
        try await TestApp.run(publish: [TestApp.rptRelease], seed: Self.seedStaff) { client in
            let api = API(client: client)
            let staff = try await api.login("lead@astro.example", Self.staffPassword)

            // Staff register the practice and invite its admin and the two surveyors.
            let practice = try await api.call(.post, "/api/v1/practices", token: staff, json: [
                "legal_name": "Harbour Theranostics", "address": "5 Quay Street, Portland, ME", "licence_number": "ME-RAM-2231",
                "regulator": "US-NRC", "scope": ["agents": ["lu177-psma", "ra223"], "patient_specific_dosimetry": true],
                "main_facility": ["name": "Harbour Main", "address": "5 Quay Street", "distance_miles": 0],
                "satellites": [["name": "Harbour North", "address": "80 Ridge Road", "distance_miles": 21]],
            ])
            #expect(practice.status == .created, "\(practice.text)")
            let practiceID = try #require(practice["id"])
            func invite(_ body: [String: Any], by token: String) async throws -> String {
                let invitation = try await api.call(.post, "/api/v1/invitations", token: token, json: body)
                #expect(invitation.status == .created, "\(invitation.text)")
                let accepted = try await api.call(.post, "/api/v1/invitations/accept", json: [
                    "token": try #require(invitation["token"]), "password": "a long enough password"])
                #expect(accepted.status == .created, "\(accepted.text)")
                return try #require(accepted["token"])
            }
            let admin = try await invite(["email": "admin@harbour.example", "display_name": "Ada Admin", "role": "practice-admin",
                                          "practice_id": practiceID], by: staff)
            let contributor = try await invite(["email": "rso@harbour.example", "display_name": "Rafael RSO", "role": "practice-contributor",
                                                "practice_id": practiceID], by: admin)
            let oncologist = try await invite(["email": "ro@surveyors.example", "display_name": "Dr. Ro", "role": "surveyor",
                                               "discipline": "radiation-oncologist"], by: staff)
            let physicist = try await invite(["email": "mp@surveyors.example", "display_name": "Dr. Mp", "role": "surveyor",
                                              "discipline": "medical-physicist"], by: staff)

            // The practice applies; staff run intake.
            let created = try await api.call(.post, "/api/v1/applications", token: admin, json: [
                "practice_id": practiceID, "release_id": TestApp.rptRelease.releaseID, "pathway": "rpt-standalone", "term_years": 3])
            #expect(created.status == .created, "\(created.text)")
            let application = try #require(created["id"])
            let base = "/api/v1/applications/\(application)"
            #expect(try await api.fire(application, "submit", as: admin).status == .ok)
            #expect(try await api.fire(application, "begin-intake", as: staff).status == .ok)
            #expect(try await api.fire(application, "accept-intake", as: staff).json["state"] as? String == "self-assessment")

            // Self-assessment: the contributor answers every applicable indicator and uploads evidence for level 1.
            let indicators = try await api.call(.get, base + "/indicators", token: contributor).items
            #expect(!indicators.isEmpty)
            for indicator in indicators {
                let code = try #require(indicator["code"] as? String)
                #expect(indicator["reason"] as? String != nil)
                let answered = try await api.call(.put, base + "/responses/\(code)", token: contributor,
                                                  json: ["answer": "Our procedure for \(code) is attached."])
                #expect(answered.status == .ok, "\(code): \(answered.text)")
            }
            let levelOne = indicators.filter { $0["level"] as? Int == 1 }.compactMap { $0["code"] as? String }
            let manual = Self.pdf("programme manual")
            let upload = try await api.call(.post, base + "/evidence?title=Programme%20manual&kind=procedure&as_of=2026-09-30&indicators="
                                            + levelOne.joined(separator: ",") + "&file_name=manual.pdf", token: contributor, raw: manual)
            #expect(upload.status == .created, "\(upload.text)")
            let document = try #require(upload["id"])
            #expect(upload["media_type"] == "application/pdf")
            #expect(try await api.fire(application, "submit-self-assessment", as: admin).status == .ok)

            // Staff review the documents and build the survey team; surveyors accept with the attestation.
            #expect(try await api.fire(application, "complete-document-review", as: staff).status == .ok)
            for surveyor in [oncologist, physicist] {
                let me = try await api.call(.get, "/api/v1/me", token: surveyor)
                let proposed = try await api.call(.post, base + "/assignments", token: staff, json: ["surveyor_id": try #require(me["id"])])
                #expect(proposed.status == .created, "\(proposed.text)")
                // Before accepting, the surveyor sees the proposal but not the application.
                let mine = try await api.call(.get, "/api/v1/me/assignments", token: surveyor).items
                #expect(mine.count == 1 && mine[0]["state"] as? String == "proposed")
                #expect(try await api.call(.get, base, token: surveyor).status == .notFound)
                let accepted = try await api.call(.post, base + "/assignments/\(try #require(proposed["id"]))/transitions", token: surveyor, json: [
                    "action": "accept", "version": 1, "text": "I have no tie to this practice or its facilities."])
                #expect(accepted.status == .ok, "\(accepted.text)")
            }
            #expect(try await api.fire(application, "schedule-visit", as: staff, payload: ["mode": "on-site", "date": "2026-12-08"]).status == .ok)

            // The surveyors review the evidence, visit, score and report.
            let downloaded = try await api.call(.get, base + "/evidence/\(document)/content", token: oncologist)
            #expect(downloaded.status == .ok)
            #expect(downloaded.body == manual)
            #expect(downloaded.headers[.contentType] == "application/pdf")
            #expect(downloaded.headers[.eTag] == "\"\(try #require(upload["sha256"]))\"")
            #expect(downloaded.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(downloaded.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"manual.pdf\"") == true)
            #expect(try await api.call(.post, base + "/evidence/\(document)/transitions", token: physicist,
                                       json: ["action": "accept", "version": 1]).status == .ok)
            #expect(try await api.fire(application, "complete-visit", as: oncologist).status == .ok)
            for code in indicators.compactMap({ $0["code"] as? String }) {
                let scored = try await api.call(.put, base + "/scores/\(code)", token: oncologist, json: [
                    "value": "compliant", "rationale": "Seen at the visit.", "evidence_ids": levelOne.contains(code) ? [document] : []])
                #expect(scored.status == .ok, "\(code): \(scored.text)")
            }
            #expect(try await api.fire(application, "submit-report", as: oncologist).status == .ok)
            #expect(try await api.fire(application, "begin-committee-review", as: staff).status == .ok)

            // The committee decides with the computed recommendation in front of it.
            let recommendation = try await api.call(.get, base + "/recommendation", token: staff)
            #expect(recommendation["determination"] == "accredited", "\(recommendation.text)")
            let decided = try await api.fire(application, "accredit", as: staff, reason: "Meets every level-1 indicator.")
            #expect(decided.json["state"] as? String == "accredited")
            let final = try await api.call(.get, base, token: admin)
            #expect(final["state"] == "accredited")
            #expect(final["term_start"] != nil && final["term_end"] != nil)
            let records = try await api.call(.get, base + "/records", token: admin).items
            #expect(records.count == 1 && records[0]["outcome"] as? String == "accredited")

            // The history tells who did what, in order, and its chain verifies.
            let history = try await api.call(.get, base + "/history", token: staff).items
            let story = history.filter { $0["machine"] as? String == "application" }.map { "\($0["action"]!)" }
            #expect(story == ["create", "submit", "begin-intake", "accept-intake", "submit-self-assessment", "complete-document-review",
                              "schedule-visit", "complete-visit", "submit-report", "begin-committee-review", "accredit"])
            let roles = Dictionary(history.map { ("\($0["action"]!)", "\($0["actor_role"]!)") }, uniquingKeysWith: { first, _ in first })
            #expect(roles["submit"] == "practice-admin" && roles["accredit"] == "staff" && roles["submit-report"] == "surveyor")
            #expect(history.contains { $0["machine"] as? String == "assignment" && $0["action"] as? String == "accept" })
            #expect(history.filter { $0["machine"] as? String == "score" }.count == indicators.count)
            let verified = try await api.call(.get, base + "/history/verify", token: staff)
            #expect(verified.json["intact"] as? Bool == true)
            #expect(verified.json["events"] as? Int == history.count)
        }
    }
}
