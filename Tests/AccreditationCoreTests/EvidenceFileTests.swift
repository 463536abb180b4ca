import AccreditationCore
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

    @Test func longNamesAreCut() {
        #expect(EvidenceFileName.sanitize(String(repeating: "a", count: 500) + ".pdf").count == 200)
        #expect(EvidenceFileName.sanitize(nil) == "document")
    }
}
