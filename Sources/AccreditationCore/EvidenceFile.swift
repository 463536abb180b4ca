import Foundation

/// The kinds of file accepted as evidence, told apart by their first bytes, never by the name or the
/// Content-Type the client sent (a renamed executable is not a PDF).
public enum EvidenceFileType: String, Sendable, CaseIterable {
    case pdf, png, jpeg, docx, xlsx, csv, text

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .csv: "text/csv"
        case .text: "text/plain"
        }
    }

    /// How many leading bytes `detect` wants to see (fewer when the file is shorter).
    public static let prefixLength = 64 * 1024

    /// The type of a file from its first bytes (`complete` when they are the whole file), or nil when it
    /// is none of the accepted kinds. Office files are ZIP archives: the part names in the local headers
    /// near the start (`word/…`, `xl/…`) tell a document from a workbook.
    public static func detect(prefix: some Collection<UInt8>, complete: Bool) -> EvidenceFileType? {
        let bytes = Array(prefix.prefix(prefixLength))
        if bytes.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return officeType(bytes) }
        return textType(bytes, complete: complete)
    }

    private static func officeType(_ bytes: [UInt8]) -> EvidenceFileType? {
        var hasContentTypes = false
        var kind: EvidenceFileType?
        var offset = 0
        // Walk the local file headers: signature, 26 bytes of fields, then the name.
        while offset + 30 <= bytes.count, bytes[offset..<offset + 4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) {
            let nameLength = Int(bytes[offset + 26]) | Int(bytes[offset + 27]) << 8
            let extraLength = Int(bytes[offset + 28]) | Int(bytes[offset + 29]) << 8
            let compressed = Int(bytes[offset + 18]) | Int(bytes[offset + 19]) << 8 | Int(bytes[offset + 20]) << 16 | Int(bytes[offset + 21]) << 24
            let flags = Int(bytes[offset + 6])
            guard offset + 30 + nameLength <= bytes.count else { break }
            let name = String(decoding: bytes[offset + 30..<offset + 30 + nameLength], as: UTF8.self)
            if name == "[Content_Types].xml" { hasContentTypes = true }
            if name.hasPrefix("word/") { kind = kind ?? .docx }
            if name.hasPrefix("xl/") { kind = kind ?? .xlsx }
            // A streamed entry (bit 3) does not give its size up front; stop walking there.
            guard flags & 0x08 == 0 else { break }
            offset += 30 + nameLength + extraLength + compressed
        }
        return hasContentTypes ? kind : nil
    }

    /// UTF-8 text without control bytes other than tab, CR, LF and form feed; CSV when its first lines
    /// (two or more) have the same number of commas.
    private static func textType(_ bytes: [UInt8], complete: Bool) -> EvidenceFileType? {
        guard !bytes.isEmpty else { return nil }
        var text = bytes[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        guard !text.contains(where: { $0 < 0x20 && ![0x09, 0x0A, 0x0D, 0x0C].contains($0) || $0 == 0x7F }) else { return nil }
        // A cut in the middle of a multi-byte character is not an error; trim up to 3 trailing bytes.
        var decoded: String?
        for trim in 0...(complete ? 0 : 3) where decoded == nil && trim <= text.count {
            decoded = String(validating: text.dropLast(trim), as: UTF8.self)
        }
        guard let decoded else { return nil }
        var lines = decoded.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
        if !complete, lines.count > 1 { lines.removeLast() }
        let commas = lines.prefix(20).map { $0.count(where: { $0 == "," }) }
        // Two prose lines with a comma each are still prose: a table has more rows or more columns.
        if let first = commas.first, first > 0, commas.count >= 2, commas.allSatisfy({ $0 == first }),
           first >= 2 || commas.count >= 3 { return .csv }
        return .text
    }
}

/// The client's file name, kept only as display metadata: no folders, no control or path characters,
/// at most 200 characters. Never used to build a path.
public enum EvidenceFileName {
    public static func sanitize(_ raw: String?) -> String {
        let lastComponent = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(lastComponent.unicodeScalars.filter { scalar in
            !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format) && !"<>:\"|?*".unicodeScalars.contains(scalar)
        }.map(Character.init)).trimmingCharacters(in: .whitespaces)
        let name = String(cleaned.drop(while: { $0 == "." }).prefix(200))
        return name.isEmpty ? "document" : name
    }
}
