import AccreditationCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Body limits, `Expect: 100-continue`, file names and active content in PDFs, over real HTTP.
@Suite struct UploadLimitsTests {
    typealias World = BadInputTests.World

    // MARK: - Expect: 100-continue

    /// A head announcing an over-limit upload gets its 413 without `100 Continue`, although the body is
    /// never sent, and the connection closes.
    @Test func anOversizedUploadIsRefusedBeforeTheBodyIsSent() async throws {
        try await BadInputTests.withWorld(limit: 50_000) { world in
            let answer = try await Self.expecting(world, path: BadInputTests.uploadPath(world), token: world.contributor,
                                                  contentType: "application/octet-stream", length: 60_000)
            #expect(answer.status == 413, "\(answer.text)")
            #expect(answer.json["type"] as? String == Problem.typeBase + "too-large")
            #expect(answer.json["detail"] as? String == "Evidence files are limited to 50000 bytes.")
            #expect(!answer.sawContinue && answer.closed)
            #expect(answer.headers["connection"] == "close" && answer.headers["x-request-id"] != nil)
        }
    }

    /// The same for a JSON body over the JSON limit.
    @Test func anOversizedJSONBodyIsRefusedBeforeTheBodyIsSent() async throws {
        try await BadInputTests.withWorld { world in
            let answer = try await Self.expecting(world, path: "/api/v1/auth/login", token: nil, contentType: "application/json", length: 2_000_000)
            #expect(answer.status == 413, "\(answer.text)")
            #expect(answer.json["type"] as? String == Problem.typeBase + "too-large")
            #expect(answer.json["detail"] as? String == "Request bodies are limited to 1048576 bytes.")
            #expect(!answer.sawContinue && answer.closed)
        }
    }

    /// Any upload the application refuses before reading it is never told to continue: no token, an
    /// application of another practice, a bad parameter, a state that takes no uploads.
    @Test func uploadsRefusedAnywayAreNotToldToContinue() async throws {
        try await BadInputTests.withWorld { world in
            let reviewed = try #require(try await world.api.call(.get, "/api/v1/applications?state=committee-review", token: world.staff)
                .items.first?["id"] as? String)
            let cases: [(String, String, String?, ClosedRange<Int>)] = [
                ("no token", BadInputTests.uploadPath(world), nil, 401...401),
                ("another practice's application", BadInputTests.uploadPath(world), world.otherAdmin, 404...404),
                ("a date that does not exist",
                 "/api/v1/applications/\(world.application)/evidence?title=T&kind=licence&as_of=2026-02-30&indicators=\(world.levelOne)", world.contributor, 400...400),
                ("an application in committee review",
                 "/api/v1/applications/\(reviewed)/evidence?title=T&kind=licence&as_of=2026-09-30&indicators=\(world.levelOne)", world.contributor, 403...422),
            ]
            for (what, path, token, status) in cases {
                let answer = try await Self.expecting(world, path: path, token: token, contentType: "application/octet-stream", length: 5_000)
                #expect(status.contains(answer.status), "\(what): \(answer.status) \(answer.text)")
                #expect(!answer.sawContinue && answer.closed, "\(what)")
            }
        }
    }

    /// An upload apex takes is told to continue, once it starts reading, and stored.
    @Test func anAcceptedUploadIsToldToContinue() async throws {
        try await BadInputTests.withWorld { world in
            let body = Array("%PDF-1.4\nsent after 100 Continue\n".utf8)
            let connection = try RawConnection(port: try #require(world.api.client.port))
            try connection.send(Self.head(world, path: BadInputTests.uploadPath(world), token: world.contributor,
                                          contentType: "application/octet-stream", length: body.count))
            let interim = await connection.receive(seconds: 5) { RawConnection.endOfHead($0) != nil }
            #expect(String(decoding: interim.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n"))
            try connection.send(body)
            let answer = RawConnection.Answer(await connection.receive(seconds: 10) { RawConnection.Answer.isComplete($0) })
            #expect(answer.status == 201, "\(answer.text)")
            #expect(answer.json["byte_count"] as? Int == body.count)
        }
    }

    // MARK: - Bodies without a length

    /// A chunked JSON body past the limit gets the documented `too-large`, on a route open to all and on
    /// one behind sign-in, like a body whose `Content-Length` says so.
    @Test func chunkedJSONOverTheLimitIsTooLarge() async throws {
        try await BadInputTests.withWorld { world in
            let big = ByteBuffer(string: "{\"email\": \"" + String(repeating: "a", count: 1_100_000) + "\", \"password\": \"x\"}")
            for (path, token) in [("/api/v1/auth/login", nil), ("/api/v1/applications/\(world.application)/transitions", world.contributor)] {
                var headers: HTTPFields = [.contentType: "application/json", .transferEncoding: "chunked"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                let chunked = try await world.api.client.execute(uri: path, method: .post, headers: headers, body: big)
                #expect(chunked.status == .contentTooLarge, "\(path)")
                #expect(chunked.json["type"] as? String == Problem.typeBase + "too-large", "\(path): \(String(buffer: chunked.body))")
                let declared = try await world.api.call(.post, path, token: token, raw: big, contentType: "application/json")
                #expect(declared.status == .contentTooLarge && declared["type"] == Problem.typeBase + "too-large", "\(path)")
            }
        }
    }

    // MARK: - File names

    /// docs/api.md's examples, exactly: a NUL is refused, as everywhere in the API; folders and other
    /// control characters are dropped.
    @Test func fileNamesAsDocumented() async throws {
        try await BadInputTests.withWorld { world in
            let pdf = ByteBuffer(string: "%PDF-1.4\nnamed\n")
            let nul = try await world.api.call(.post, BadInputTests.uploadPath(world, fileName: "../../../etc/passwd\u{0}.pdf"), token: world.contributor, raw: pdf)
            #expect(nul.status == .badRequest)
            #expect(nul["type"] == Problem.typeBase + "bad-request" && nul["field"] == "file_name", "\(nul.text)")
            #expect(nul["detail"] == "file_name must not contain the NUL character (%00).")
            for (raw, kept) in [("../../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\etc\\passwd\u{7}.pdf", "passwd.pdf"),
                                ("C:\\Users\\me\\..\\report<1>.pdf", "report1.pdf")] {
                let reply = try await world.api.call(.post, BadInputTests.uploadPath(world, fileName: raw), token: world.contributor,
                                                     raw: ByteBuffer(string: "%PDF-1.4\n\(raw)\n"))
                #expect(reply.status == .created && reply["file_name"] == kept, "\(raw): \(reply.text)")
            }
        }
    }

    /// The document's `maxLength` is enforced as JSON Schema counts it (code points), naming the field;
    /// a long name within it is cut to 200 characters with its extension kept.
    @Test func textLimitsCountCodePoints() async throws {
        try await BadInputTests.withWorld { world in
            let pdf = ByteBuffer(string: "%PDF-1.4\nlimits\n")
            let longest = String(repeating: "a", count: 996) + ".pdf"
            let cut = try await world.api.call(.post, BadInputTests.uploadPath(world, fileName: longest), token: world.contributor, raw: pdf)
            #expect(cut.status == .created, "\(cut.text)")
            #expect(cut["file_name"] == String(repeating: "a", count: 196) + ".pdf")
            // 1,001 code points; 501 characters (an `e` with a combining accent is one character, two code points).
            for fileName in ["a" + longest, String(repeating: "e\u{301}", count: 500) + "a"] {
                let reply = try await world.api.call(.post, BadInputTests.uploadPath(world, fileName: fileName), token: world.contributor, raw: pdf)
                #expect(reply.status == .badRequest && reply["field"] == "file_name", "\(reply.text)")
                #expect(reply["detail"] == "file_name has at most 1000 characters.")
            }
            let title = String(repeating: "e\u{301}", count: 200)  // 200 characters, 400 code points; the limit is 300
            let path = "/api/v1/applications/\(world.application)/evidence?kind=licence&as_of=2026-09-30&indicators=\(world.levelOne)&title="
                + title.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let reply = try await world.api.call(.post, path, token: world.contributor, raw: pdf)
            #expect(reply.status == .badRequest && reply["field"] == "title", "\(reply.text)")
        }
    }

    // MARK: - Active content

    /// PDFs with scripts, launch actions or attachments are refused with their own problem, and nothing
    /// is stored; a PDF that only mentions them in its text is taken.
    @Test func pdfsWithActiveContentAreRefused() async throws {
        let root = Mutex<String>("")
        try await BadInputTests.withWorld(evidence: { path in root.withLock { $0 = path } }) { world in
            let before = try await BadInputTests.counts(world)
            let filesBefore = BadInputTests.storedFiles(root.withLock { $0 })
            let cases = [
                ("JavaScript", "%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n2 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >> endobj\n"),
                ("Launch", "%PDF-1.7\n2 0 obj << /S /L#61unch /F (calc.exe) >> endobj\n"),
                ("EmbeddedFiles", "%PDF-1.7\n1 0 obj << /Type /Catalog /Names << /EmbeddedFiles 3 0 R >> >> endobj\n"),
            ]
            for (name, content) in cases {
                let reply = try await world.api.call(.post, BadInputTests.uploadPath(world), token: world.contributor, raw: ByteBuffer(string: content))
                #expect(reply.status == .unprocessableContent, "\(name): \(reply.text)")
                #expect(reply["type"] == Problem.typeBase + "active-content")
                #expect(reply["detail"]?.contains("/\(name)") == true && reply["detail"]?.contains("without scripts") == true, "\(reply.text)")
            }
            let after = try await BadInputTests.counts(world)
            #expect(after.documents == before.documents && after.events == before.events)
            #expect(BadInputTests.storedFiles(root.withLock { $0 }) == filesBefore)
            let mentions = "%PDF-1.7\n1 0 obj << /Title (Why /JavaScript is refused) /Type /Catalog >> endobj\n"
            let taken = try await world.api.call(.post, BadInputTests.uploadPath(world), token: world.contributor, raw: ByteBuffer(string: mentions))
            #expect(taken.status == .created, "\(taken.text)")
        }
    }

    // MARK: - A raw connection

    static func head(_ world: World, path: String, token: String?, contentType: String, length: Int) -> String {
        var lines = ["POST \(path) HTTP/1.1", "Host: localhost", "Content-Type: \(contentType)", "Content-Length: \(length)", "Expect: 100-continue"]
        if let token { lines.append("Authorization: Bearer \(token)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// Sends only the head of a request that expects `100-continue`, and reads what comes back without
    /// ever sending the body.
    static func expecting(_ world: World, path: String, token: String?, contentType: String, length: Int) async throws -> RawConnection.Answer {
        let connection = try RawConnection(port: try #require(world.api.client.port))
        try connection.send(head(world, path: path, token: token, contentType: contentType, length: length))
        // Until the server closes: a final answer closes the connection, since the body will not follow.
        return RawConnection.Answer(await connection.receive(seconds: 10) { _ in false })
    }
}

/// A bare TCP connection, for what the test client cannot do: send a head alone and see exactly what
/// the server answers first. Blocking reads run on their own thread.
final class RawConnection: @unchecked Sendable {
    private let socket: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard socket >= 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        // Short reads, so `receive` can watch its deadline.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(socket) }

    #if canImport(Glibc)
    static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    static let noSignal: Int32 = 0
    #endif

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // A server that closes early answers EPIPE, not a SIGPIPE that would stop the test process.
            let sent = bytes[offset...].withUnsafeBytes { Foundation.send(socket, $0.baseAddress, $0.count, Self.noSignal) }
            guard sent > 0 else { throw POSIXError(.EPIPE) }
            offset += sent
        }
    }

    /// What arrives until `done` says so, the server closes, or `seconds` pass.
    func receive(seconds: Double, until done: @escaping @Sendable ([UInt8]) -> Bool) async -> (bytes: [UInt8], closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(seconds)
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                var closed = false
                while Date() < deadline, !done(bytes) {
                    let count = buffer.withUnsafeMutableBytes { recv(self.socket, $0.baseAddress, $0.count, 0) }
                    if count == 0 { closed = true; break }
                    if count > 0 { bytes += buffer[..<count] }
                    if count < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR { closed = true; break }
                }
                continuation.resume(returning: (bytes, closed))
            }.start()
        }
    }

    /// Where the first head ends (after its blank line), if it has.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0..<$0 + 4].elementsEqual(marker) }.map { $0 + 4 }
    }

    /// The first final response on the connection; whether an interim `100 Continue` came before it.
    struct Answer {
        var status = 0
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        var sawContinue = false
        var closed = false

        init(_ received: (bytes: [UInt8], closed: Bool)) {
            closed = received.closed
            var rest = received.bytes[...]
            while let end = RawConnection.endOfHead(Array(rest)) {
                let lines = String(decoding: rest.prefix(end), as: UTF8.self).components(separatedBy: "\r\n")
                status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
                rest = rest.dropFirst(end)
                guard status != 100 else { sawContinue = true; continue }
                for line in lines.dropFirst() where line.contains(":") {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
                }
                body = Array(rest.prefix(Int(headers["content-length"] ?? "") ?? rest.count))
                break
            }
        }

        /// A final response with its whole body has arrived.
        static func isComplete(_ bytes: [UInt8]) -> Bool {
            let answer = Answer((bytes, false))
            guard answer.status >= 200, let length = Int(answer.headers["content-length"] ?? "") else { return false }
            return answer.body.count >= length
        }

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }
}
