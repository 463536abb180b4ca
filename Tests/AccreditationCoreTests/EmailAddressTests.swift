import AccreditationCore
import Foundation
import Testing

/// One mailbox, one canonical address: the spellings that mean one address meet, invisible and control
/// characters are refused, and the form is stable.
@Suite struct EmailAddressTests {
    @Test(arguments: [
        // Decomposed and precomposed é (the example of the issue).
        ("re\u{0301}mi@example.org", "r\u{00E9}mi@example.org"),
        ("R\u{00C9}MI@EXAMPLE.ORG", "r\u{00E9}mi@example.org"),
        ("  Pat@Example.org\n", "pat@example.org"),
        // Full-width letters and at sign (NFKC).
        ("\u{FF52}\u{FF45}\u{FF4D}\u{FF49}\u{FF20}example.org", "remi@example.org"),
        // Kelvin sign and the ligature fi.
        ("\u{212A}im@\u{FB01}rm.example", "kim@firm.example"),
        // Full case folding, not only lower case.
        ("STRASSE@example.de", "strasse@example.de"),
        ("stra\u{00DF}e@example.de", "strasse@example.de"),
        ("\u{1E9E}@example.de", "ss@example.de"),
        ("\u{03A3}\u{0391}\u{03A3}@example.gr", "\u{03C3}\u{03B1}\u{03C3}@example.gr"),
        ("\u{03C3}\u{03B1}\u{03C2}@example.gr", "\u{03C3}\u{03B1}\u{03C3}@example.gr"),
        // A modifier capital that only becomes upper case after NFKC.
        ("\u{1D2C}nna@example.org", "anna@example.org"),
    ])
    func spellingsOfOneAddressMeet(typed: String, canonical: String) throws {
        // Compared scalar by scalar: String's == would call canonically equivalent spellings equal.
        #expect(Array(try EmailAddress(typed).canonical.unicodeScalars) == Array(canonical.unicodeScalars))
    }

    @Test(arguments: [
        0x200B, 0x200C, 0x200D, 0xFEFF, 0x00AD, 0x202E, 0x2066, 0xFE0F, 0x2060, 0x180E, 0x034F, 0x3164,
        0x0007, 0x007F, 0x0085, 0x00A0, 0x2028, 0xE000, 0xE0041, 0x0378, 0xFFFF,
    ] as [UInt32])
    func invisibleAndControlCharactersAreRefused(scalar: UInt32) {
        let typed = "re" + String(Unicode.Scalar(scalar)!) + "mi@example.org"
        do {
            let accepted = try EmailAddress(typed)
            Issue.record("accepted as \(accepted)")
        } catch {
            // A combining character joins the one before it, so only the scalar is compared.
            guard case let .forbiddenCharacter(refused, _) = error else { Issue.record("\(error)"); return }
            #expect(refused == scalar)
        }
        #expect(EmailAddress.canonical(typed) == nil)
    }

    @Test func anInvisibleCharacterIsNamedInTheMessage() {
        #expect(throws: EmailAddress.Problem.self) { try EmailAddress("remi\u{200B}@example.org") }
        let problem = EmailAddress.Problem.forbiddenCharacter(scalar: 0x200B, position: 5)
        #expect(problem.description.contains("U+200B") && problem.description.contains("character 5"))
    }

    @Test(arguments: ["", "   ", "remi", "remi@", "@example.org", "remi@@example.org", "re mi@example.org",
                      "remi@example..org", "remi@.example.org", "remi@example.org.", String(repeating: "a", count: 65) + "@example.org",
                      String(repeating: "a", count: 60) + "@" + String(repeating: "b", count: 300) + ".org"])
    func notAddressesAreRefused(typed: String) {
        #expect(throws: EmailAddress.Problem.self) { try EmailAddress(typed) }
    }

    /// The canonical form is a fixed point, and lower case: the database's checks hold for it.
    @Test(arguments: ["re\u{0301}mi@example.org", "\u{0130}stanbul@example.tr", "\u{1F80}@example.gr", "\u{01C5}@example.org",
                      "\u{13A0}\u{13A1}@example.org", "ma\u{0308}\u{0301}x@example.org", "\u{1D400}@example.org"])
    func theCanonicalFormIsStable(typed: String) throws {
        let once = try EmailAddress(typed).canonical
        #expect(Array(try EmailAddress(once).canonical.unicodeScalars) == Array(once.unicodeScalars))
        #expect(Array(once.precomposedStringWithCompatibilityMapping.unicodeScalars) == Array(once.unicodeScalars))
        #expect(once.lowercased() == once || once.unicodeScalars.contains { !$0.isASCII })
        #expect(!once.contains { $0.isASCII && $0.isUppercase })
    }
}

/// Addresses accounts were made with before canonical forms existed stay usable.
@Suite struct EmailAddressCompatibilityTests {
    @Test func aDomainWithoutADotIsAnAddress() throws {
        #expect(try EmailAddress("Admin@LocalHost").canonical == "admin@localhost")
    }

    @Test func anAddressIsBoundedInBytesToo() {
        // One character carrying thousands of combining marks is one character but many bytes.
        let heavy = "a" + String(repeating: "\u{301}", count: 2_000) + "@example.org"
        #expect(throws: EmailAddress.Problem.self) { try EmailAddress(heavy) }
    }
}
