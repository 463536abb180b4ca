import AccreditationCore

/// How apex reads one plain (unquoted) YAML scalar: the one reading shared by the validator and by
/// `apex standards export-json`. YAML 1.1 and 1.2 readers type many spellings differently (`010` is 8
/// or 10, `yes` is true or text, `2026-07-01` a date or text), so apex accepts only spellings every
/// reader agrees on and refuses the rest, saying what to write instead.
enum PlainReading: Equatable {
    case null
    case bool(Bool)
    /// A number in plain decimal notation (`-12`, `0.25`); the text is kept so nothing is rounded twice.
    case decimal(String)
    /// A number in another notation: why it is refused, and the plain decimal to write when it is known.
    case notation(reason: String, suggestion: String?)
    /// A word that YAML 1.1 reads as true or false and YAML 1.2 as text (`yes`, `off`).
    case yaml11Bool(Bool)
    /// A date or time that YAML 1.1 reads as a timestamp.
    case timestamp
    case text

    init(_ text: String) {
        // The words are five letters at most: skip hashing longer text (the catalog has thousands of titles).
        let short = text.utf8.count <= 5
        if short, Self.nulls.contains(text) {
            self = .null
        } else if short, let value = Self.booleans[text] {
            self = .bool(value)
        } else if short, let value = Self.yaml11Booleans[text] {
            self = .yaml11Bool(value)
        } else if let first = text.unicodeScalars.first, Self.isDigit(first) || first == "-" || first == "+" || first == "." {
            // Numbers and dates start with a digit, a sign or a point; everything else is text, cheaply.
            self = Self.classify(Array(text.unicodeScalars))
        } else {
            self = .text
        }
    }

    /// Words for null and true/false on which YAML 1.1 and the 1.2 core schema agree.
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let booleans: [String: Bool] = ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false]
    static let yaml11Booleans: [String: Bool] = Dictionary(uniqueKeysWithValues:
        ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"].map { ($0, true) } + ["n", "N", "no", "No", "NO", "off", "Off", "OFF"].map { ($0, false) })
    static let infinities: Set<String> = [".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"]
    static let radixes: [Unicode.Scalar: Int] = ["x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2]

    private static func classify(_ s: [Unicode.Scalar]) -> PlainReading {
        if isPlainDecimal(s[...]) { return .decimal(String(String.UnicodeScalarView(s))) }
        if let refused = notation(s) { return refused }
        if isTimestamp(s) { return .timestamp }
        return .text
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: the only number notation apex reads.
    static func isPlainDecimal(_ s: ArraySlice<Unicode.Scalar>) -> Bool {
        var rest = s
        if rest.first == "-" { rest = rest.dropFirst() }
        let whole = rest.prefix(while: isDigit)
        guard !whole.isEmpty, whole.count == 1 || whole.first != "0" else { return false }
        rest = rest.dropFirst(whole.count)
        guard !rest.isEmpty else { return true }
        guard rest.first == "." else { return false }
        let fraction = rest.dropFirst()
        return !fraction.isEmpty && fraction.allSatisfy(isDigit)
    }

    /// Spellings that some YAML reader takes as a number but that are not plain decimals.
    private static func notation(_ s: [Unicode.Scalar]) -> PlainReading? {
        var rest = s[...]
        var sign = ""
        if let first = rest.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            rest = rest.dropFirst()
        }
        let body = String(String.UnicodeScalarView(rest))
        guard let first = rest.first, first != "+", first != "-" else { return nil }
        if infinities.contains(body) {
            return .notation(reason: "(infinity or not-a-number)", suggestion: nil)
        }
        if s.first == "+", isPlainDecimal(rest) {
            return .notation(reason: "with a leading '+'", suggestion: body)
        }
        // 0x…, 0o…, 0b… (YAML 1.2 core; hexadecimal floats such as 0x1p3 in some readers).
        if first == "0", rest.count > 2, let radix = Self.radixes[rest[rest.startIndex + 1]] {
            let digits = rest.dropFirst(2)
            let valid: (Unicode.Scalar) -> Bool = switch radix {
            case 16: { $0.properties.isASCIIHexDigit || $0 == "_" }
            case 8: { ("0"..."7").contains($0) || $0 == "_" }
            default: { $0 == "0" || $0 == "1" || $0 == "_" }
            }
            // Hexadecimal floats (0x1p3) continue with a point or an exponent after the digits.
            let mantissa = digits.prefix(while: valid)
            let tail = digits.dropFirst(mantissa.count)
            guard mantissa.contains(where: { $0 != "_" }),
                  tail.isEmpty || (radix == 16 && tail.allSatisfy { $0.properties.isASCIIHexDigit || ".pP+-".unicodeScalars.contains($0) }) else { return nil }
            let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
            let value = Int(String(String.UnicodeScalarView(digits.filter { $0 != "_" })), radix: radix)
            return .notation(reason: "in \(name) notation", suggestion: value.map { sign + String($0) })
        }
        let numeric = rest.allSatisfy { isDigit($0) || $0 == "_" || $0 == "." || $0 == ":" || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-" }
        guard numeric, rest.contains(where: isDigit) else { return nil }
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            let mantissa = rest[..<e].filter { $0 != "_" }
            var exponent = rest[(e + 1)...]
            var negative = false
            if let sign = exponent.first, sign == "+" || sign == "-" {
                negative = sign == "-"
                exponent = exponent.dropFirst()
            }
            let points = mantissa.filter { $0 == "." }.count
            guard !exponent.isEmpty, exponent.allSatisfy(isDigit), points <= 1, mantissa.contains(where: isDigit),
                  mantissa.allSatisfy({ isDigit($0) || $0 == "." }) else { return nil }
            let power = exponent.count > 4 ? nil : Int(String(String.UnicodeScalarView(exponent))).map { negative ? -$0 : $0 }
            return .notation(reason: "with an exponent", suggestion: power.flatMap { expand(mantissa, power: $0) }.map { sign + $0 })
        }
        if rest.contains(":") {
            // YAML 1.1 reads 1:30 as 90 (base 60).
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count > 1, let head = parts.first?.first, isDigit(head),
                  parts.dropLast().allSatisfy({ !$0.isEmpty && $0.allSatisfy { isDigit($0) || $0 == "_" } }),
                  let last = parts.last, last.first.map(isDigit) == true,
                  last.allSatisfy({ isDigit($0) || $0 == "_" || $0 == "." }), last.filter({ $0 == "." }).count <= 1 else { return nil }
            return .notation(reason: "in base 60, which YAML 1.1 reads as minutes and seconds", suggestion: nil)
        }
        guard !rest.contains("+"), !rest.contains("-"), rest.filter({ $0 == "." }).count <= 1 else { return nil }
        let plain = rest.filter { $0 != "_" }
        if rest.contains("_") {
            return .notation(reason: "with '_' between digits, which only YAML 1.1 reads as a number",
                             suggestion: normalized(plain).map { sign + $0 })
        }
        if plain.first == "0", plain.count > 1, plain[plain.startIndex + 1] != "." {
            return .notation(reason: "with a leading zero, which YAML 1.1 reads as octal (010 is 8) and YAML 1.2 as decimal",
                             suggestion: normalized(plain).map { sign + $0 })
        }
        if plain.first == "." || plain.last == "." {
            return .notation(reason: "without a digit on both sides of the decimal point", suggestion: normalized(plain).map { sign + $0 })
        }
        return nil
    }

    /// Digits and at most one point, written as a plain decimal: no leading zeros, no trailing point
    /// or fraction zeros. Nil when there are no digits.
    private static func normalized(_ digitsAndPoint: [Unicode.Scalar]) -> String? {
        let text = String(String.UnicodeScalarView(digitsAndPoint))
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var whole = String(parts[0].drop { $0 == "0" })
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard !(whole + fraction).isEmpty || text.contains("0") else { return nil }
        if whole.isEmpty { whole = "0" }
        return fraction.isEmpty ? whole : whole + "." + fraction
    }

    /// `mantissa × 10^power` written out in plain decimal, when that stays readable (|power| ≤ 30).
    private static func expand(_ mantissa: [Unicode.Scalar], power: Int) -> String? {
        guard abs(power) <= 30 else { return nil }
        let text = String(String.UnicodeScalarView(mantissa))
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        var point = whole.count + power
        if point < 0 {
            digits = String(repeating: "0", count: -point) + digits
            point = 0
        }
        if point > digits.count { digits += String(repeating: "0", count: point - digits.count) }
        let shifted = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        return normalized(Array(shifted.unicodeScalars))
    }

    /// YAML 1.1 timestamps: `2026-07-01`, or a date followed by a time, where month and day may have
    /// one digit (`2026-7-1T10:00:00Z`).
    private static func isTimestamp(_ s: [Unicode.Scalar]) -> Bool {
        let end = s.firstIndex { $0 == "T" || $0 == "t" || $0 == " " } ?? s.count
        let parts = s[..<end].split(separator: "-", omittingEmptySubsequences: false)
        let digits = end == s.count ? 2...2 : 1...2
        return parts.count == 3 && parts[0].count == 4 && digits.contains(parts[1].count) && digits.contains(parts[2].count)
            && parts.allSatisfy { $0.allSatisfy(isDigit) }
    }
}

/// The ranges apex accepts for the numbers in catalog and scope files. `catalog.schema.json` states the
/// same bounds, and the API's scope has the same limits.
enum Limits {
    static let level = 1...2
    static let year = 1900...2100
    static let siteCount = 1...1000
    static let licensedUseTypes = 1...20
    /// Days, hours, percent, mSv, µCi: never negative, and nothing in the catalog comes near a billion.
    static let threshold: ClosedRange<Double> = 0...1_000_000_000

    /// `at_least` in a rule: a bound of 0 is always met, and one past the field's range never is.
    static func count(_ field: ScopeField) -> ClosedRange<Int> {
        field == .licensedUseTypes ? licensedUseTypes : siteCount
    }
}
