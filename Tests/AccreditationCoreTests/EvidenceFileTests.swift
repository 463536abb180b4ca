@testable import AccreditationCore
import Foundation
import Testing

/// Evidence types are told from the content, never from the name: each accepted kind, and lookalikes refused.
@Suite struct EvidenceFileTests {
    static func zip(_ names: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for name in names {
            let data = Array("<x/>".utf8)
            bytes += [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            bytes += [UInt8(data.count), 0, 0, 0, UInt8(data.count), 0, 0, 0]
            bytes += [UInt8(name.utf8.count), 0, 0, 0]
            bytes += Array(name.utf8) + data
        }
        return bytes + [0x50, 0x4B, 0x05, 0x06]
    }

    @Test(arguments: [
        (Array("%PDF-1.7\n%âãÏÓ\n".utf8), EvidenceFileType.pdf),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], .png),
        ([0xFF, 0xD8, 0xFF, 0xE0, 0, 16], .jpeg),
        (zip(["[Content_Types].xml", "_rels/.rels", "word/document.xml"]), .docx),
        (zip(["[Content_Types].xml", "xl/workbook.xml"]), .xlsx),
        (Array("date,nuclide,reading\n2026-09-01,Cs-137,7.2\n2026-09-02,Cs-137,7.1\n".utf8), .csv),
        (Array("Radiation safety committee minutes, 3 September 2026\nPresent: RSO, AU\n".utf8), .text),
        (Array("\u{FEFF}Plain text with a byte-order mark and ünïcödé\n".utf8), .text),
    ])
    func acceptedKinds(bytes: [UInt8], expected: EvidenceFileType) {
        #expect(EvidenceFileType.detect(prefix: bytes, complete: true) == expected)
    }

    @Test(arguments: [
        ("ELF executable", [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 64)),
        ("Windows executable", Array("MZ\u{90}\u{00}\u{03}".utf8) + [0, 0, 0, 4, 0]),
        ("a plain ZIP archive", zip(["payload.exe"])),
        ("a ZIP with content types but neither word/ nor xl/", zip(["[Content_Types].xml", "ppt/presentation.xml"])),
        ("binary noise", [0x00, 0x01, 0x02, 0xFE, 0xFD]),
        ("invalid UTF-8", [0x41, 0x42, 0xC3, 0x28, 0x0A]),
        ("empty", []),
    ])
    func refusedContent(_ what: String, bytes: [UInt8]) {
        #expect(EvidenceFileType.detect(prefix: bytes, complete: true) == nil, "\(what) must not pass as evidence")
    }

    @Test func aMultiByteCharacterCutAtThePrefixEndIsStillText() {
        let text = Array(String(repeating: "é", count: 10).utf8).dropLast()
        #expect(EvidenceFileType.detect(prefix: text, complete: false) == .text)
        #expect(EvidenceFileType.detect(prefix: text, complete: true) == nil)
    }

    @Test(arguments: [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\licence.pdf", "licence.pdf"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("..", "document"),
        (".hidden", "hidden"),
        ("quo\"te<>|?*.pdf", "quote.pdf"),
        ("line\nbreak\u{0}.pdf", "linebreak.pdf"),
        ("rtl\u{202E}fdp.exe", "rtlfdp.exe"),
        ("", "document"),
        ("   ", "document"),
    ])
    func fileNamesAreSanitized(raw: String, expected: String) {
        #expect(EvidenceFileName.sanitize(raw) == expected)
    }

    /// The examples docs/api.md gives (a NUL never gets here: the API refuses `%00` in any parameter).
    @Test func theDocumentedExamples() {
        #expect(EvidenceFileName.sanitize("../../../etc/passwd.pdf") == "passwd.pdf")
        #expect(EvidenceFileName.sanitize("../../../etc/passwd\u{7}.pdf") == "passwd.pdf")
        #expect(EvidenceFileName.sanitize("C:\\Users\\me\\..\\report<1>.pdf") == "report1.pdf")
        #expect(EvidenceFileName.sanitize(nil) == "document")
    }

    @Test func longNamesKeepTheirExtension() {
        let cut = EvidenceFileName.sanitize(String(repeating: "a", count: 500) + ".pdf")
        #expect(cut == String(repeating: "a", count: 196) + ".pdf")
        let exact = String(repeating: "b", count: 196) + ".txt"
        #expect(EvidenceFileName.sanitize(exact) == exact)
        #expect(EvidenceFileName.sanitize(String(repeating: "c", count: 300)) == String(repeating: "c", count: 200))
        // A "suffix" that is no extension (a space, punctuation, too long) is cut like the rest.
        #expect(EvidenceFileName.sanitize(String(repeating: "d", count: 300) + ".final version") == String(repeating: "d", count: 200))
        // Spaces left at the cut go, so the name does not end in `   .pdf`.
        #expect(EvidenceFileName.sanitize(String(repeating: "e", count: 190) + String(repeating: " ", count: 20) + ".pdf")
                == String(repeating: "e", count: 190) + ".pdf")
    }

    /// A character made of several code points is kept whole or dropped whole, and the name fits 255 bytes.
    @Test(arguments: ["e\u{301}", "🇫🇷", "👍🏽", "한"])
    func cutsNeverSplitACharacter(_ character: String) throws {
        let raw = String(repeating: character, count: 300) + ".pdf"
        let cut = EvidenceFileName.sanitize(raw)
        #expect(cut.hasSuffix(".pdf"))
        let stem = cut.dropLast(4)
        #expect(!stem.isEmpty && stem.allSatisfy { String($0) == character }, "\(cut.debugDescription)")
        #expect(cut.count <= EvidenceFileName.maxCharacters && cut.utf8.count <= EvidenceFileName.maxBytes)
        // As many as fit: one more would break a limit.
        #expect(stem.count + 1 + 4 > EvidenceFileName.maxCharacters || cut.utf8.count + character.utf8.count > EvidenceFileName.maxBytes)
    }

    @Test func aCharacterTooLargeForANameLeavesTheExtension() {
        let zalgo = "a" + String(repeating: "\u{301}", count: 300)
        #expect(EvidenceFileName.sanitize(zalgo + ".pdf") == "document.pdf")
    }

    // MARK: - Active content in PDFs

    static func scan(_ text: String, chunks: Int = 1) -> String? {
        var scanner = PDFActiveContentScanner()
        let bytes = Array(text.utf8)
        let size = max(1, (bytes.count + chunks - 1) / chunks)
        for start in stride(from: 0, to: bytes.count, by: size) { scanner.feed(bytes[start..<min(bytes.count, start + size)]) }
        scanner.finish()
        return scanner.found
    }

    static let head = "%PDF-1.7\n%âãÏÓ\n"

    @Test(arguments: [
        ("1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj 2 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >> endobj", "JavaScript"),
        ("2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj", "JavaScript"),
        ("2 0 obj << /JS 5 0 R >> endobj", "JS"),
        ("3 0 obj << /S /Launch /F (cmd.exe) >> endobj", "Launch"),
        ("4 0 obj << /Type /EmbeddedFile /Length 3 >> endobj", "EmbeddedFile"),
        ("1 0 obj << /Names << /EmbeddedFiles 6 0 R >> >> endobj", "EmbeddedFiles"),
        ("7 0 obj << /Subtype /RichMedia >> endobj", "RichMedia"),
        // `#xx` escapes spell the same name.
        ("2 0 obj << /S /J#61vaScript >> endobj", "JavaScript"),
        ("2 0 obj << /#4a#53 (x) >> endobj", "JS"),
        // The data of a stream without a filter is plain PDF (an uncompressed object stream).
        ("5 0 obj << /Type /ObjStm /N 1 /First 4 /Length 30 >>\nstream\n6 0 << /S /JavaScript >>\nendstream endobj", "JavaScript"),
        // A name running to the end of the file.
        ("trailer << /Root 1 0 R /JS", "JS"),
    ])
    func activeContentIsFound(_ body: String, expected: String) {
        #expect(Self.scan(Self.head + body) == expected)
    }

    @Test(arguments: [
        "1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >> endobj",
        "1 0 obj << /JSON 1 /JSFont 2 /Launcher 3 /EmbeddedFileCount 0 >> endobj",
        "1 0 obj << /Title (How we use /JS and /JavaScript (nested /Launch)) /Subject (a \\) /JS inside) >> endobj",
        "% /JavaScript in a comment\n1 0 obj << >> endobj",
        "1 0 obj << /Filter /FlateDecode /Length 40 >>\nstream\n\u{1}\u{2}/JS /Launch garbage that looks like names\nendstream\nendobj",
        "JavaScript and JS written as words, not names",
    ])
    func inertPDFsPass(_ body: String) {
        #expect(Self.scan(Self.head + body) == nil, "\(body)")
    }

    @Test func onlyPDFsAreScanned() {
        #expect(Self.scan("Minutes /JS /Launch\n") == nil)
        #expect(Self.scan(" %PDF-1.7\n/JS ") == nil)
    }

    /// Chunks arrive as the network delivers them: a name split anywhere is still seen, and a stream's
    /// end is still found, after the overlap `endstrendstream`.
    @Test func namesAreFoundAcrossEveryChunkBoundary() {
        let text = Self.head + "1 0 obj << /Filter /FlateDecode >>\nstream\n/JS x endstrendstream\n2 0 obj << /S /J#61vaScript >> endobj"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var scanner = PDFActiveContentScanner()
            scanner.feed(bytes[..<cut])
            scanner.feed(bytes[cut...])
            scanner.finish()
            #expect(scanner.found == "JavaScript", "cut at \(cut)")
        }
        #expect(Self.scan(text, chunks: bytes.count) == "JavaScript")
    }

    @Test func anUnclosedStringDoesNotHideTheRest() {
        let text = Self.head + "1 0 obj << /Title (never closed " + String(repeating: "x", count: 70_000) + " >> /S /Launch >> endobj"
        #expect(Self.scan(text, chunks: 7) == "Launch")
    }
}

@Test func tokenLimitIsTheLongestToken() {
    #expect(PDFActiveContentScanner.tokenLimit == PDFActiveContentScanner.longestToken)
}
