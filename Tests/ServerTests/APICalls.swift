import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A thin JSON caller over the test client, so API tests read as the requests they make.
struct API: Sendable {
    let client: any TestClientProtocol

    struct Reply: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
        var json: [String: any Sendable] { (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: any Sendable] ?? [:] }
        var items: [[String: any Sendable]] { json["items"] as? [[String: any Sendable]] ?? [] }
        var text: String { String(buffer: body) }
        subscript(key: String) -> String? { json[key] as? String }
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: Any? = nil, raw: ByteBuffer? = nil,
              contentType: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = contentType ?? "application/json"
        } else if let raw {
            body = raw
            headers[.contentType] = contentType ?? "application/octet-stream"
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: response.body)
        }
    }

    func login(_ email: String, _ password: String) async throws -> String {
        let reply = try await call(.post, "/api/v1/auth/login", json: ["email": email, "password": password])
        return try #require(reply["token"], "login \(email): \(reply.status) \(reply.text)")
    }

    /// Fires an application transition on the version currently stored (read as `reader`).
    @discardableResult
    func fire(_ application: String, _ action: String, as token: String, reader: String? = nil, reason: String? = nil,
              payload: [String: String]? = nil) async throws -> Reply {
        let current = try await call(.get, "/api/v1/applications/\(application)", token: reader ?? token)
        var body: [String: Any] = ["action": action]
        if let reason { body["reason"] = reason }
        if let payload { body["payload"] = payload }
        return try await call(.post, "/api/v1/applications/\(application)/transitions", token: token, json: body,
                              headers: [.ifMatch: current.headers[.eTag] ?? "\"v0\""])
    }
}

extension String {
    static let demoPassword = "demo-password-2026"
}
