import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import Synchronization

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

    /// `text` escaped exactly as the templates escape `{{value}}`.
    func escaped(_ text: String) -> String {
        Self.escaper.render(["value": text])
    }

    private static let escaper = try! MustacheTemplate(string: "{{value}}")

    /// The HTML of `template` for `model`. Throws when the template is unknown (a programming error).
    func html(_ template: String, _ model: some Sendable) throws -> String {
        guard let html = library.render(model, withTemplate: template) else { throw RendererError("No page template '\(template)'.") }
        return html
    }

    func page(_ template: String, _ model: some Sendable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: try html(template, model))))
    }

    /// An HTML answer of already rendered bytes.
    func respond(_ html: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: html))
    }

    /// `/assets/<name>`: cached for an hour (the names are not fingerprinted, so not longer).
    func asset(_ name: String) -> Response? {
        guard let asset = assets[name] else { return nil }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: asset.bytes))
    }
}

/// What is personal on a shared page: rendered as placeholders (plain ASCII that escaping leaves
/// alone and no person can type into the page: the values they stand for are never shown to users as
/// such), then filled per request with the person's name (escaped by the same template engine) and
/// their session's form token (hex).
enum PagePlaceholders {
    static let csrf = "apex-placeholder-csrf-7c1e"
    static let name = "apex-placeholder-name-7c1e"

    static func chrome(_ identity: Identity) -> Chrome {
        var chrome = Chrome(identity: identity, sessionToken: "")
        chrome.csrf = csrf
        chrome.personName = name
        return chrome
    }

    /// A rendered page cut at its placeholders once, so filling it is a copy of bytes (Foundation's
    /// `replacingOccurrences` on Linux took 15 ms for a 150 kB page).
    struct Split: Sendable {
        enum Part: Sendable { case text(ByteBuffer), csrf, name }
        let parts: [Part]
        let byteCount: Int

        init(_ html: String) {
            let bytes = Array(html.utf8)
            let markers: [(Part, [UInt8])] = [(.csrf, Array(PagePlaceholders.csrf.utf8)), (.name, Array(PagePlaceholders.name.utf8))]
            var parts: [Part] = []
            var start = 0, index = 0
            // Both placeholders start with the same 18 bytes; compare only where that prefix begins.
            let first = markers[0].1[0]
            while index < bytes.count {
                if bytes[index] == first,
                   let (part, marker) = markers.first(where: { bytes.count - index >= $0.1.count && bytes[index..<(index + $0.1.count)].elementsEqual($0.1) }) {
                    if start < index { parts.append(.text(ByteBuffer(bytes: bytes[start..<index]))) }
                    parts.append(part)
                    index += marker.count
                    start = index
                } else {
                    index += 1
                }
            }
            if start < bytes.count { parts.append(.text(ByteBuffer(bytes: bytes[start..<bytes.count]))) }
            self.parts = parts
            byteCount = bytes.count
        }

        func fill(csrf: String, name: String) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(byteCount + 4096)
            for part in parts {
                switch part {
                case var .text(text): buffer.writeBuffer(&text)
                case .csrf: buffer.writeString(csrf)
                case .name: buffer.writeString(name)
                }
            }
            return buffer
        }
    }

    static func fill(_ page: Split, identity: Identity, sessionToken: String, renderer: PageRenderer) -> ByteBuffer {
        page.fill(csrf: CSRFToken.of(session: sessionToken), name: renderer.escaped(identity.displayName))
    }
}

/// Renderings in progress, by key and the cache's change count when they began.
final class RenderFlights: Sendable {
    typealias Flight = Task<PagePlaceholders.Split, any Error>
    private let flights = Mutex<[String: (ticket: UInt64, task: Flight)]>([:])

    /// The rendering for `key` begun at the same `ticket`, or a new one running `render`. Without a
    /// ticket (the cache is not trusted) every request renders for itself.
    func join(_ key: String, ticket: UInt64?, render: @escaping @Sendable () async throws -> PagePlaceholders.Split) -> Flight {
        guard let ticket else { return Task { try await render() } }
        return flights.withLock { flights in
            if let flight = flights[key], flight.ticket == ticket { return flight.task }
            let task = Task { [weak self] in
                defer { self?.finished(key, ticket: ticket) }
                return try await render()
            }
            flights[key] = (ticket, task)
            return task
        }
    }

    private func finished(_ key: String, ticket: UInt64) {
        flights.withLock { flights in
            if flights[key]?.ticket == ticket { flights[key] = nil }
        }
    }
}

struct RendererError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A view model whose fields the templates read through a table of key paths instead of `Mirror`:
/// swift-mustache reflects a value afresh for every `{{name}}` it looks up (and again for every level of
/// the context stack it walks), which made the workspace page cost tens of milliseconds to render.
protocol PageModel: MustacheParent {
    static var mustacheFields: [String: PartialKeyPath<Self>] { get }
}

extension PageModel {
    func child(named name: String) -> Any? {
        guard let path = Self.mustacheFields[name] else { return nil }
        let value = self[keyPath: path]
        // Optionals are unwrapped, as the reflection path does: nil is "absent" to a section.
        if let optional = value as? any OptionalValue { return optional.wrappedValue }
        return value
    }
}

protocol OptionalValue { var wrappedValue: Any? { get } }

extension Optional: OptionalValue {
    var wrappedValue: Any? {
        switch self {
        case let .some(value): value
        case .none: nil
        }
    }
}
