import AccreditationCore
import Foundation
import NIOCore
import Persistence
import Testing

/// The filesystem storage: content-addressed, durable before it answers, nothing kept on refusal, and a
/// damaged file never delivered whole.
@Suite struct EvidenceStorageTests {
    static func withStorage(_ body: (FileSystemEvidenceStorage, String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("apex-storage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(try FileSystemEvidenceStorage(root: root), root)
    }

    static func chunks(_ parts: [[UInt8]]) -> AsyncThrowingStream<ByteBuffer, any Error> {
        AsyncThrowingStream { continuation in
            for part in parts { continuation.yield(ByteBuffer(bytes: part)) }
            continuation.finish()
        }
    }

    static func files(in root: String) -> [String] {
        (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter {
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isFolder)
            return !isFolder.boolValue
        }
    }

    static func read(_ storage: FileSystemEvidenceStorage, _ digest: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in try await storage.read(digest).chunks { bytes += chunk.readableBytesView }
        return bytes
    }

    @Test func storesByDigestAndReadsBack() async throws {
        try await Self.withStorage { storage, root in
            let content = Array("%PDF-1.4\n".utf8) + (0..<300_000).map { UInt8($0 % 251) }
            let stored = try await storage.store(Self.chunks([Array(content[..<10]), Array(content[10...])]), limit: 1 << 20)
            #expect(stored.sha256 == Encoding.sha256Hex(content))
            #expect(stored.byteCount == Int64(content.count))
            #expect(stored.type == .pdf)
            #expect(try await Self.read(storage, stored.sha256) == content)
            #expect(Self.files(in: root) == ["sha256/\(stored.sha256.prefix(2))/\(stored.sha256)"])
            // The same bytes again are the same single file.
            _ = try await storage.store(Self.chunks([content]), limit: 1 << 20)
            #expect(Self.files(in: root).count == 1)
        }
    }

    @Test func refusalsKeepNothing() async throws {
        try await Self.withStorage { storage, root in
            await #expect(throws: StorageError.tooLarge(limit: 100)) {
                try await storage.store(Self.chunks([Array("%PDF-".utf8), [UInt8](repeating: 65, count: 200)]), limit: 100)
            }
            await #expect(throws: StorageError.empty) { try await storage.store(Self.chunks([]), limit: 100) }
            await #expect(throws: StorageError.unsupportedType) {
                try await storage.store(Self.chunks([[0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0]]), limit: 100)
            }
            // An executable larger than the sniffing window is refused as soon as the window is full.
            await #expect(throws: StorageError.unsupportedType) {
                try await storage.store(Self.chunks([[0x7F, 0x45, 0x4C, 0x46], [UInt8](repeating: 0, count: 70_000)]), limit: 1 << 20)
            }
            #expect(Self.files(in: root).isEmpty)
        }
    }

    /// A PDF with a script is refused while it streams, wherever the chunks split the name, and nothing
    /// is kept; the same words in a text file, or past the sniffing window of a clean PDF, are fine.
    @Test func pdfsWithActiveContentAreRefused() async throws {
        try await Self.withStorage { storage, root in
            let padding = [UInt8](repeating: 0x20, count: 100_000)
            let script = Array("%PDF-1.7\n".utf8) + padding + Array("2 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n".utf8)
            let split = 100_000 + 9 + 18  // inside `/JavaScript`
            await #expect(throws: ActiveContentError(name: "JavaScript")) {
                try await storage.store(Self.chunks([Array(script[..<split]), Array(script[split...])]), limit: 1 << 20)
            }
            let launch = Array("%PDF-1.4\n3 0 obj << /S /Launch /F (calc.exe) >> endobj".utf8)
            await #expect(throws: ActiveContentError(name: "Launch")) {
                try await storage.store(Self.chunks(launch.map { [$0] }), limit: 1 << 20)
            }
            #expect(Self.files(in: root).isEmpty)
            let text = try await storage.store(Self.chunks([Array("Minutes: the /JavaScript and /Launch names are refused in PDFs.\n".utf8)]), limit: 1 << 20)
            #expect(text.type == .text)
            let clean = try await storage.store(Self.chunks([Array("%PDF-1.7\n".utf8) + padding + Array("1 0 obj << /Type /Catalog >> endobj\n".utf8)]),
                                                limit: 1 << 20)
            #expect(clean.type == .pdf)
        }
    }

    @Test func aDamagedFileIsNeverDeliveredWhole() async throws {
        try await Self.withStorage { storage, root in
            let content = Array("plain text evidence\n".utf8) + [UInt8](repeating: 0x61, count: 600_000)
            let stored = try await storage.store(Self.chunks([content]), limit: 1 << 20)
            let path = root + "/sha256/\(stored.sha256.prefix(2))/\(stored.sha256)"
            var damaged = content
            damaged[500_000] = 0x62
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            var received = 0
            await #expect(throws: StorageError.corrupt(stored.sha256)) {
                for try await chunk in try await storage.read(stored.sha256).chunks { received += chunk.readableBytes }
            }
            #expect(received < content.count)
        }
    }

    @Test func sweepRemovesOnlyOldUnreferencedFiles() async throws {
        try await Self.withStorage { storage, root in
            let kept = try await storage.store(Self.chunks([Array("kept, referenced\n".utf8)]), limit: 100)
            let orphan = try await storage.store(Self.chunks([Array("orphan, never recorded\n".utf8)]), limit: 100)
            let fresh = try await storage.store(Self.chunks([Array("fresh, still committing\n".utf8)]), limit: 100)
            let old = Date().addingTimeInterval(-7_200)
            for digest in [kept.sha256, orphan.sha256] {
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root + "/sha256/\(digest.prefix(2))/\(digest)")
            }
            FileManager.default.createFile(atPath: root + "/incoming/abandoned", contents: Data("partial".utf8), attributes: [.modificationDate: old])
            let removed = try await storage.sweep(referenced: [kept.sha256], olderThan: 3_600)
            #expect(removed == 2)
            let left = Set(Self.files(in: root).map { ($0 as NSString).lastPathComponent })
            #expect(left == [kept.sha256, fresh.sha256])
        }
    }
}
