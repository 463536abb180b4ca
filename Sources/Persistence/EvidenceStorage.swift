public import AccreditationCore
import Crypto
public import Foundation
public import NIOCore
import _NIOFileSystem
import NIOPosix

/// A file as stored: content-addressed by its SHA-256.
public struct StoredFile: Sendable, Equatable {
    public let sha256: String
    public let byteCount: Int64
    public let type: EvidenceFileType
}

public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(limit: Int64)
    case empty
    case unsupportedType
    case missing(String)
    /// The stored bytes no longer match their digest (disk corruption or tampering).
    case corrupt(String)

    public var description: String {
        switch self {
        case let .tooLarge(limit): "Evidence files are limited to \(limit) bytes."
        case .empty: "The file is empty."
        case .unsupportedType: "Evidence is a PDF, PNG, JPEG, DOCX, XLSX, CSV or plain-text file; the content is none of these."
        case let .missing(digest): "No stored file \(digest)."
        case let .corrupt(digest): "The stored file \(digest) does not match its digest."
        }
    }
}

/// A PDF refused for active content: `name` is the PDF name found (`JavaScript`, `Launch`, …). Apart
/// from `StorageError` because it is a refusal of what the file does, not of its size or kind; nothing
/// is kept either way.
public struct ActiveContentError: Error, Sendable, Equatable, CustomStringConvertible {
    public let name: String

    public init(name: String) { self.name = name }

    public var description: String {
        "The PDF contains /\(name) (scripts, actions that launch programs, attached files or embedded media), which apex does not accept "
            + "in evidence. Save or print the document to a new PDF without scripts, actions or attachments, and upload that."
    }
}

/// Where evidence bytes live. Filesystem now; a replicated backend later implements the same calls.
public protocol EvidenceStorage: Sendable {
    /// Streams `chunks` into storage, refusing more than `limit` bytes, a type that is not accepted
    /// (decided from the first bytes) or a PDF with active content (`ActiveContentError`). When it returns, the file is durable under its digest; when it
    /// throws, nothing is kept.
    func store(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable, limit: Int64) async throws -> StoredFile
    /// The stored bytes in chunks. The last chunk is withheld until the whole content has matched the
    /// digest, so a corrupt file never arrives complete: the sequence throws `corrupt` instead.
    func read(_ sha256: String) async throws -> (byteCount: Int64, chunks: AsyncThrowingStream<ByteBuffer, any Error>)
    /// Removes stored files that no record refers to and abandoned partial uploads, older than `age`.
    func sweep(referenced: Set<String>, olderThan age: TimeInterval) async throws -> Int
}

/// Evidence on a local filesystem: `<root>/sha256/ab/abcdef…` for files, `<root>/incoming/` for uploads
/// in progress (temporary file, fsync, rename into place, fsync of the folder).
public struct FileSystemEvidenceStorage: EvidenceStorage {
    public let root: String
    let fileSystem = FileSystem.shared

    public init(root: String) throws {
        self.root = root
        for folder in [root, root + "/incoming", root + "/sha256"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    func path(of digest: String) -> String { "\(root)/sha256/\(digest.prefix(2))/\(digest)" }

    public func store(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable, limit: Int64) async throws -> StoredFile {
        let temporary = "\(root)/incoming/\(UUID().uuidString.lowercased())"
        do {
            var hasher = SHA256()
            var count: Int64 = 0
            var prefix: [UInt8] = []
            var type: EvidenceFileType?
            // Runs over PDFs only (it stops at a first line that is not `%PDF-`), a chunk at a time.
            var scanner = PDFActiveContentScanner()
            try await fileSystem.withFileHandle(forWritingAt: FilePath(temporary),
                                                options: .newFile(replaceExisting: false, permissions: .ownerReadWrite)) { handle in
                for try await chunk in chunks {
                    guard count + Int64(chunk.readableBytes) <= limit else { throw StorageError.tooLarge(limit: limit) }
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    if type == nil {
                        prefix.append(contentsOf: chunk.readableBytesView.prefix(EvidenceFileType.prefixLength - prefix.count))
                        if prefix.count >= EvidenceFileType.prefixLength {
                            type = EvidenceFileType.detect(prefix: prefix, complete: false)
                            guard type != nil else { throw StorageError.unsupportedType }
                        }
                    }
                    scanner.feed(chunk.readableBytesView)
                    if let name = scanner.found { throw ActiveContentError(name: name) }
                    try await handle.write(contentsOf: chunk, toAbsoluteOffset: count)
                    count += Int64(chunk.readableBytes)
                }
                guard count > 0 else { throw StorageError.empty }
                scanner.finish()
                if let name = scanner.found { throw ActiveContentError(name: name) }
                if type == nil {
                    type = EvidenceFileType.detect(prefix: prefix, complete: true)
                    guard type != nil else { throw StorageError.unsupportedType }
                }
                try await handle.synchronize()
            }
            let digest = Encoding.hex(hasher.finalize())
            let final = path(of: digest)
            let folder = (final as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: folder) {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try await fileSystem.withDirectoryHandle(atPath: FilePath(root + "/sha256")) { try await $0.synchronize() }
            }
            // The same bytes uploaded twice are one file: when it is already there (or another upload of the
            // same bytes gets there first), the stored copy stays and this one is dropped. A stored file is
            // never removed or replaced here, so a record naming it can always be served.
            if try await fileSystem.info(forFileAt: FilePath(final)) != nil {
                // Fresh again: the orphan sweep leaves young files alone, and a record is about to name this one.
                try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: final)
            } else {
                do {
                    try await fileSystem.moveItem(at: FilePath(temporary), to: FilePath(final))
                } catch {
                    guard try await fileSystem.info(forFileAt: FilePath(final)) != nil else { throw error }
                }
            }
            _ = try? await fileSystem.removeItem(at: FilePath(temporary))
            try await fileSystem.withDirectoryHandle(atPath: FilePath(folder)) { try await $0.synchronize() }
            return StoredFile(sha256: digest, byteCount: count, type: type!)
        } catch {
            _ = try? await fileSystem.removeItem(at: FilePath(temporary))
            throw error
        }
    }

    public func read(_ sha256: String) async throws -> (byteCount: Int64, chunks: AsyncThrowingStream<ByteBuffer, any Error>) {
        guard sha256.wholeMatch(of: /[0-9a-f]{64}/) != nil else { throw StorageError.missing(sha256) }
        let file = path(of: sha256)
        guard let info = try await fileSystem.info(forFileAt: FilePath(file)) else { throw StorageError.missing(sha256) }
        let reader = try VerifyingReader(path: file, sha256: sha256, size: info.size)
        // Pulled one chunk per request from the consumer: a slow download holds back the disk reads.
        return (info.size, AsyncThrowingStream(unfolding: { try await reader.next() }))
    }

    public func sweep(referenced: Set<String>, olderThan age: TimeInterval) async throws -> Int {
        let cutoff = Date().addingTimeInterval(-age)
        var removed = 0
        let fileManager = FileManager.default
        func isOld(_ path: String) -> Bool {
            ((try? fileManager.attributesOfItem(atPath: path)[.modificationDate]) as? Date).map { $0 < cutoff } ?? false
        }
        for name in (try? fileManager.contentsOfDirectory(atPath: root + "/incoming")) ?? [] where isOld("\(root)/incoming/\(name)") {
            try? fileManager.removeItem(atPath: "\(root)/incoming/\(name)")
            removed += 1
        }
        for folder in (try? fileManager.contentsOfDirectory(atPath: root + "/sha256")) ?? [] {
            for digest in (try? fileManager.contentsOfDirectory(atPath: "\(root)/sha256/\(folder)")) ?? []
            where !referenced.contains(digest) && isOld(path(of: digest)) {
                try? fileManager.removeItem(atPath: path(of: digest))
                removed += 1
            }
        }
        return removed
    }
}

/// Reads a stored file in chunks on NIO's blocking-work threads, hashing as it goes, and holds back the
/// last chunk until the whole content has matched the digest. The file closes when the reader goes.
private final class VerifyingReader: @unchecked Sendable {
    // Only the stream's `next` touches the state, one call at a time.
    private let descriptor: CInt
    private let sha256: String
    private let size: Int64
    private var offset: Int64 = 0
    private var hasher = SHA256()
    private var pending: ByteBuffer?
    private var finished = false
    static let chunkSize = 256 * 1024

    init(path: String, sha256: String, size: Int64) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.missing(sha256) }
        self.sha256 = sha256
        self.size = size
    }

    deinit { close(descriptor) }

    func next() async throws -> ByteBuffer? {
        while !finished {
            let chunk = try await NIOThreadPool.singleton.runIfActive { [descriptor, offset] in
                var buffer = ByteBuffer()
                let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.chunkSize) { raw in
                    let read = pread(descriptor, raw.baseAddress, Self.chunkSize, off_t(offset))
                    guard read >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                    return read
                }
                return count == 0 ? nil : buffer
            }
            guard let chunk else {
                finished = true
                guard Encoding.hex(hasher.finalize()) == sha256, offset == size else { throw StorageError.corrupt(sha256) }
                return pending
            }
            offset += Int64(chunk.readableBytes)
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            let previous = pending
            pending = chunk
            if let previous { return previous }
        }
        return nil
    }
}
