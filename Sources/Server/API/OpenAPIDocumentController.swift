import APIDefinition
import Foundation
import Hummingbird
import Yams

/// Serves the OpenAPI document the API is generated from, as YAML and as JSON (converted once at start).
struct OpenAPIDocumentController: Sendable {
    let yaml: ByteBuffer
    let json: ByteBuffer

    init() throws {
        let data = try APIDocument.yaml()
        let text = String(decoding: data, as: UTF8.self)
        let object = try Yams.load(yaml: text) ?? [:]
        let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        self.yaml = ByteBuffer(bytes: data)
        self.json = ByteBuffer(bytes: json)
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: yaml))
        }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json))
        }
    }
}
