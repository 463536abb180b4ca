import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore

/// The page templates (mustache, escaping every `{{value}}`), loaded once from the bundled
/// `Web/Templates` folder, and the stylesheet and script served under `/assets`.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let assets: [String: (contentType: String, bytes: ByteBuffer)]

    static func bundled() async throws -> PageRenderer {
        guard let templates = Bundle.module.path(forResource: "Templates", ofType: nil),
              let assetFolder = Bundle.module.path(forResource: "Assets", ofType: nil) else {
            throw RendererError("The page templates are missing from the build (Server's resources).")
        }
        let library = try await MustacheLibrary(directory: templates)
        var assets: [String: (String, ByteBuffer)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: assetFolder) {
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : nil
            guard let type else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: assetFolder).appendingPathComponent(name))
            assets[name] = (type, ByteBuffer(bytes: data))
        }
        return PageRenderer(library: library, assets: assets)
    }

    /// The HTML of `template` for `model`. Throws when the template is unknown (a programming error).
    func html(_ template: String, _ model: some Sendable) throws -> String {
        guard let html = library.render(model, withTemplate: template) else { throw RendererError("No page template '\(template)'.") }
        return html
    }

    func page(_ template: String, _ model: some Sendable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: try html(template, model))))
    }

    /// `/assets/<name>`: cached for an hour (the names are not fingerprinted, so not longer).
    func asset(_ name: String) -> Response? {
        guard let asset = assets[name] else { return nil }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: asset.bytes))
    }
}

struct RendererError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
