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
/// at most 200 characters and 255 bytes. Never used to build a path. This is the one place names are
/// cleaned; everything that stores a client's file name goes through `sanitize`.
public enum EvidenceFileName {
    /// The longest name kept, in characters (grapheme clusters, what a reader counts).
    public static let maxCharacters = 200
    /// The longest name kept in UTF-8 bytes: what most file systems allow, so a downloaded file can be
    /// saved under its name. One character may take many bytes (a letter with stacked accents).
    public static let maxBytes = 255
    /// The longest `file_name` accepted at all, in Unicode code points as the OpenAPI document's
    /// `maxLength` counts them; longer is refused rather than cut.
    public static let maxInputLength = 1000
    /// An extension kept through a cut: a dot and 1 to 16 letters or digits.
    static let maxExtensionCharacters = 16

    /// The last path component, without control and formatting characters (bidirectional overrides
    /// included), `<>:"|?*`, leading dots and surrounding spaces, cut to fit `maxCharacters` and
    /// `maxBytes` with its extension kept; `document` when nothing is left.
    public static func sanitize(_ raw: String?) -> String {
        let lastComponent = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: lastComponent.unicodeScalars.filter { scalar in
            let category = scalar.properties.generalCategory
            return category != .control && category != .format && !"<>:\"|?*".unicodeScalars.contains(scalar)
        })
        let cleaned = String(scalars).trimmingCharacters(in: .whitespaces)
        let name = fit(String(cleaned.drop(while: { $0 == "." })))
        return name.isEmpty ? "document" : name
    }

    /// `name` cut at character boundaries (never inside a grapheme cluster) to the limits, keeping its
    /// extension, so `…long title.pdf` stays a `.pdf`.
    static func fit(_ name: String) -> String {
        guard name.count > maxCharacters || name.utf8.count > maxBytes else { return name }
        var stem = Substring(name)
        var suffix: Substring = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let candidate = name[name.index(after: dot)...]
            if (1...maxExtensionCharacters).contains(candidate.count), candidate.allSatisfy({ $0.isLetter || $0.isNumber }),
               candidate.utf8.count < 64 {
                stem = name[..<dot]
                suffix = name[dot...]
            }
        }
        stem = stem.prefix(maxCharacters - suffix.count)
        while !stem.isEmpty, stem.utf8.count + suffix.utf8.count > maxBytes { stem.removeLast() }
        let kept = stem.trimmingCharacters(in: .whitespaces)
        // A cut that leaves only the extension would make a hidden-looking `.pdf`.
        return (kept.isEmpty && !suffix.isEmpty ? "document" : kept) + suffix
    }
}

/// Finds PDF names that mean active content: scripts (`/JavaScript`, `/JS`), launching programs
/// (`/Launch`), attached files (`/EmbeddedFile`, `/EmbeddedFiles`) and embedded media players
/// (`/RichMedia`). Fed the file in chunks as it streams, so the file is never held whole and a name cut
/// across two chunks is still seen.
///
/// Names are matched as PDF name tokens: a `/`, the name (with `#xx` escapes decoded, so `/J#61vaScript`
/// counts) and a delimiter, so `/JSON` or `/JSFont` do not count. Comments and literal strings are
/// skipped. The data of streams with a `/Filter` (compressed or encoded) is skipped, not inflated: a
/// name inside a compressed object stream is not seen. This is a screen for the common forms, not a
/// proof that a PDF is inert.
public struct PDFActiveContentScanner: Sendable {
    /// The names that mean active content.
    public static let activeNames: Set<String> = ["JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia"]

    /// The first active-content name found (without its `/`), or nil.
    public private(set) var found: String?

    private enum State: Sendable {
        case header(matched: Int)
        case notPDF
        case normal
        case comment
        case name
        case string(depth: Int, escaped: Bool, length: Int)
        case skippingStream(matched: Int)
    }

    private var state: State = .header(matched: 0)
    /// The current name's decoded bytes, or the current regular token's (to see `stream`), capped.
    private var token: [UInt8] = []
    private var tokenOverflow = false
    /// A `#` escape inside a name: how many hex digits were read, and their value so far.
    private var escape: (digits: Int, value: UInt8)?
    /// A `/Filter` was seen since the last stream: the next stream's data is encoded.
    private var filterPending = false

    private static let header = Array("%PDF-".utf8)
    private static let endstream = Array("endstream".utf8)
    /// For each matched length, the longest proper prefix of `endstream` that is also a suffix.
    private static let endstreamFallback: [Int] = {
        var table = [Int](repeating: 0, count: endstream.count)
        var length = 0
        for index in 1..<endstream.count {
            while length > 0, endstream[index] != endstream[length] { length = table[length - 1] }
            if endstream[index] == endstream[length] { length += 1 }
            table[index] = length
        }
        return table
    }()
    private static let streamKeyword = Array("stream".utf8)
    private static let filter = Array("Filter".utf8)
    private static let longestName = activeNames.map(\.utf8.count).max() ?? 0
    /// The longest token worth keeping: max(longestName, "endstream") = 13, written as a literal so that
    /// reading it per byte costs nothing (`tokenLimitIsTheLongestToken` holds it to the names).
    static let tokenLimit = 13
    static var longestToken: Int { max(longestName, endstream.count) }
    /// A literal string longer than this without its closing parenthesis is taken as broken, and
    /// scanning goes on, so an unbalanced `(` cannot hide the rest of the file.
    private static let longestString = 64 * 1024

    public init() {}

    /// Scans the next bytes of the file.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        guard found == nil else { return }
        if case .notPDF = state { return }
        if bytes.withContiguousStorageIfAvailable({ scan($0) }) == nil {
            Array(bytes).withUnsafeBufferPointer { scan($0) }
        }
    }

    /// `step` for every byte that can change something; runs that cannot (the rest of a comment, of a
    /// skipped stream, of a long token, the plain text of a string) are passed over in tight loops, so
    /// a 100 MiB upload costs little even in a debug build.
    private mutating func scan(_ buffer: UnsafeBufferPointer<UInt8>) {
        var index = 0
        let end = buffer.count
        // Read once per buffer: a static table read in the loop costs a lazy-initialisation check per byte.
        let regular = Self.regular, stringSpecial = Self.stringSpecial
        while index < end, found == nil {
            switch state {
            case .notPDF:
                return
            case .comment:
                while index < end, buffer[index] != 0x0A, buffer[index] != 0x0D { index += 1 }
            case .skippingStream(matched: 0):
                // Only an `e` can start `endstream`.
                guard let base = buffer.baseAddress, let hit = memchr(base + index, Int32(UInt8(ascii: "e")), end - index) else { return }
                index = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            case let .string(depth, false, length):
                var run = index
                while run < end, run - index + length < Self.longestString, !stringSpecial[Int(buffer[run])] { run += 1 }
                state = .string(depth: depth, escaped: false, length: length + run - index)
                index = run
            case .normal, .name:
                if tokenOverflow, escape == nil {
                    // Too long to be a name or keyword that matters: pass over the rest of it.
                    while index < end, regular[Int(buffer[index])] { index += 1 }
                }
            default:
                break
            }
            guard index < end else { return }
            step(buffer[index])
            index += 1
        }
    }

    /// The end of the file: a name running to the end counts as ended.
    public mutating func finish() {
        if case .name = state { endName() }
        state = .notPDF
    }

    /// Bytes that are neither whitespace nor delimiters.
    private static let regular: [Bool] = (0...255).map { !isWhitespace(UInt8($0)) && !isDelimiter(UInt8($0)) }
    /// Bytes that matter inside a literal string.
    private static let stringSpecial: [Bool] = (0...255).map { $0 == 0x5C || $0 == 0x28 || $0 == 0x29 }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x00 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D || byte == 0x20
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["), UInt8(ascii: "]"),
             UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "/"), UInt8(ascii: "%"): true
        default: false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private mutating func step(_ byte: UInt8) {
        switch state {
        case let .header(matched):
            guard byte == Self.header[matched] else { state = .notPDF; return }
            state = matched + 1 == Self.header.count ? .comment : .header(matched: matched + 1)
        case .notPDF:
            return
        case .comment:
            if byte == 0x0A || byte == 0x0D { state = .normal }
        case .name:
            if Self.isWhitespace(byte) || Self.isDelimiter(byte) {
                endName()
                normal(byte)
            } else if case let (digits, value)? = escape {
                if let digit = Self.hexValue(byte) {
                    if digits == 1 {
                        appendToken(value << 4 | digit)
                        escape = nil
                    } else {
                        escape = (1, digit)
                    }
                } else {
                    // Not an escape after all: keep the bytes as they came.
                    keepUnfinishedEscape()
                    appendToken(byte)
                }
            } else if byte == UInt8(ascii: "#") {
                escape = (0, 0)
            } else {
                appendToken(byte)
            }
        case let .string(depth, escaped, length):
            guard length < Self.longestString else { state = .normal; normal(byte); return }
            if escaped {
                state = .string(depth: depth, escaped: false, length: length + 1)
            } else if byte == UInt8(ascii: "\\") {
                state = .string(depth: depth, escaped: true, length: length + 1)
            } else if byte == UInt8(ascii: "(") {
                state = .string(depth: depth + 1, escaped: false, length: length + 1)
            } else if byte == UInt8(ascii: ")") {
                state = depth == 1 ? .normal : .string(depth: depth - 1, escaped: false, length: length + 1)
            } else {
                state = .string(depth: depth, escaped: false, length: length + 1)
            }
        case let .skippingStream(matched):
            // Looking for `endstream` (Knuth-Morris-Pratt, so an overlap such as `endstrendstream` is not missed).
            var matched = matched
            while matched > 0, byte != Self.endstream[matched] { matched = Self.endstreamFallback[matched - 1] }
            if byte == Self.endstream[matched] { matched += 1 }
            if matched == Self.endstream.count {
                state = .normal
                token = []
            } else {
                state = .skippingStream(matched: matched)
            }
        case .normal:
            normal(byte)
        }
    }

    /// A `#` not followed by two hex digits is an ordinary character of the name.
    private mutating func keepUnfinishedEscape() {
        guard case let (digits, value)? = escape else { return }
        escape = nil
        appendToken(UInt8(ascii: "#"))
        if digits == 1 { appendToken(Array("0123456789ABCDEF".utf8)[Int(value)]) }
    }

    /// A byte outside names, strings, comments and skipped streams.
    private mutating func normal(_ byte: UInt8) {
        state = .normal
        if Self.isWhitespace(byte) || Self.isDelimiter(byte) {
            // `stream` ends its line; what follows is the stream's data.
            if (byte == 0x0A || byte == 0x0D), !tokenOverflow, token == Self.streamKeyword {
                if filterPending { state = .skippingStream(matched: 0) }
                filterPending = false
            }
            token = []
            tokenOverflow = false
            switch byte {
            case UInt8(ascii: "/"): state = .name
            case UInt8(ascii: "%"): state = .comment
            case UInt8(ascii: "("): state = .string(depth: 1, escaped: false, length: 0)
            default: break
            }
        } else {
            appendToken(byte)
        }
    }

    private mutating func appendToken(_ byte: UInt8) {
        // Only short tokens matter: the active names and `stream`, `Filter`.
        if token.count < Self.tokenLimit { token.append(byte) } else { tokenOverflow = true }
    }

    private mutating func endName() {
        keepUnfinishedEscape()
        if !tokenOverflow {
            if token == Self.filter { filterPending = true }
            if let name = String(validating: token, as: UTF8.self), Self.activeNames.contains(name) { found = name }
        }
        token = []
        tokenOverflow = false
        state = .normal
    }
}
