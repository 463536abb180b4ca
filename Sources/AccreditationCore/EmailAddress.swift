import Foundation

/// An email address in the one form apex stores, compares and looks up: sign-in, invitations (made and
/// accepted), lockout counters, the command line and the demonstration all go through this type, so one
/// mailbox is one account however its address was typed.
///
/// The canonical form: surrounding white space trimmed, then Unicode NFKC (compatibility forms such as
/// full-width letters become the plain ones, and `e` + combining acute becomes `é`), then full Unicode
/// case folding (so `ß` matches `ss` and `ς` matches `σ`, not only `A` matching `a`), then NFKC again,
/// repeated until nothing changes. Addresses holding invisible or default-ignorable characters (zero-width
/// space and joiners, the byte order mark, the soft hyphen, bidirectional controls, variation selectors),
/// control characters, white space inside, private-use or unassigned code points are refused rather than
/// cleaned: they look like another address. The syntax check is deliberately loose (one `@`, a local part
/// of 1 to 64 characters, a domain of one or more dot-separated labels); apex sends no mail, so it cannot prove a mailbox exists.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The canonical text, as stored in the database.
    public let canonical: String

    public static let maximumLength = 320

    /// Why a typed address is refused, in words a user can act on.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case tooLong
        /// An invisible, control or otherwise unsafe character, at a 1-based character position.
        case forbiddenCharacter(scalar: UInt32, position: Int)
        case notAnAddress(String)

        public var description: String {
            switch self {
            case .empty:
                "The email address is empty."
            case .tooLong:
                "An email address has at most \(EmailAddress.maximumLength) characters."
            case let .forbiddenCharacter(scalar, position):
                "The email address holds an invisible, control or white-space character (U+\(String(format: "%04X", scalar)), "
                    + "character \(position)); type it again without it."
            case let .notAnAddress(text):
                "'\(text)' is not an email address."
            }
        }
    }

    /// Checks and canonicalises an address as typed.
    public init(_ raw: String) throws(Problem) {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .empty }
        guard trimmed.count <= Self.maximumLength else { throw .tooLong }
        try Self.refuseUnsafeCharacters(trimmed)
        var text = trimmed
        // Folding can produce text that normalises further (and the reverse); two rounds settle every
        // character known today, the bound only guards against a surprise.
        for _ in 0..<4 {
            let next = Self.fold(text)
            // Scalar by scalar: String's == already treats canonically equivalent spellings as equal.
            if next.unicodeScalars.elementsEqual(text.unicodeScalars) { break }
            text = next
        }
        // Normalising can turn a harmless character into an unsafe one (U+00A0 into a space, say).
        try Self.refuseUnsafeCharacters(text)
        // Bytes too: a character may carry any number of combining marks, and the address is indexed.
        guard text.count <= Self.maximumLength, text.utf8.count <= 4 * Self.maximumLength else { throw .tooLong }
        // A domain without a dot (`localhost`, an intranet host) is an address too: accounts made before
        // this check had no such rule and must stay reachable.
        guard text.wholeMatch(of: /[^@]{1,64}@[^@.]+(\.[^@.]+)*/) != nil else { throw .notAnAddress(Self.printable(raw)) }
        canonical = text
    }

    /// The canonical form of `raw`, or nil when it is refused.
    public static func canonical(_ raw: String) -> String? { try? EmailAddress(raw).canonical }

    public var description: String { canonical }

    static func fold(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCompatibilityMapping
    }

    /// Whether a scalar may appear in an address: nothing invisible, nothing that controls layout or
    /// direction, no white space, nothing without a meaning yet (unassigned) or a private one.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isDefaultIgnorableCodePoint || properties.isNoncharacterCodePoint || properties.isWhitespace { return true }
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    private static func refuseUnsafeCharacters(_ text: String) throws(Problem) {
        for (position, character) in text.enumerated() {
            if let scalar = character.unicodeScalars.first(where: isUnsafe) {
                throw .forbiddenCharacter(scalar: scalar.value, position: position + 1)
            }
        }
    }

    /// The typed text for an error message, with anything unsafe shown as `U+XXXX`.
    private static func printable(_ raw: String) -> String {
        String(raw.trimmingCharacters(in: .whitespacesAndNewlines).prefix(100).unicodeScalars.map {
            isUnsafe($0) ? "U+\(String(format: "%04X", $0.value))" : String($0)
        }.joined())
    }
}
