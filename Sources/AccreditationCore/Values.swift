import Foundation

/// Why a value from outside (a JSON field, a form field, a query parameter) was refused: the field's
/// name as the caller sent it and a sentence the person can act on. The API answers it as a 400 problem
/// with `field`; a page shows the message next to the field and keeps what was typed.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { message }
}

/// Text a person typed, trimmed, within a limit counted in Unicode code points (as JSON Schema's
/// `maxLength` counts), and not empty unless allowed.
public struct BoundedText: Sendable, Equatable, CustomStringConvertible {
    public let value: String

    /// Throws `FieldError` naming `field` when the text is empty (and that is not allowed) or too long.
    public init(_ raw: String, field: String, max: Int, allowEmpty: Bool = false) throws(FieldError) {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard allowEmpty || !trimmed.isEmpty else { throw FieldError(field: field, message: "\(field) must not be empty.") }
        guard raw.unicodeScalars.count <= max else { throw FieldError(field: field, message: "\(field) has at most \(max) characters.") }
        value = trimmed
    }

    public var description: String { value }

    /// Limits shared by the API document and the forms.
    public enum Limit {
        /// A self-assessment answer, a score rationale, an RFI question or answer (code points).
        public static let longText = 20_000
        /// A document title.
        public static let title = 300
    }
}

/// A catalog indicator code such as `GOV-01`: two to four capitals, a hyphen, two or three digits.
public struct IndicatorCode: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: String

    /// Throws `FieldError` when `raw` is not shaped like an indicator code (whether the catalog has it is
    /// the store's question).
    public init(_ raw: String, field: String = "indicator") throws(FieldError) {
        // By hand rather than with a Regex literal: pages check every code they link, and building the
        // regex on each call was a tenth of a page's cost.
        let bytes = Array(raw.utf8)
        let letters = bytes.prefix { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }.count
        let digits = bytes.count - letters - 1
        guard (2...4).contains(letters), (2...3).contains(digits), bytes[letters] == UInt8(ascii: "-"),
              bytes[(letters + 1)...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw FieldError(field: field, message: "'\(raw)' is not an indicator code such as GOV-01.")
        }
        value = raw
    }

    public var description: String { value }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

extension PracticeScope {
    /// The limits a declared scope must respect, one rule for the API and the practice profile form.
    /// Throws `FieldError` naming the first field out of range: at most five agents, 1–1000 sites,
    /// 1–20 licensed use types, and a jurisdiction `US-NRC` or `US-` with a two-letter state code (an
    /// Agreement State regulator).
    public static func checked(agents: [RPTAgent], inpatientTherapy: Bool, patientSpecificDosimetry: Bool, siteCount: Int,
                               licensedUseTypes: Int, jurisdiction: String) throws(FieldError) -> PracticeScope {
        guard agents.count <= RPTAgent.allCases.count else {
            throw FieldError(field: "agents", message: "agents has at most \(RPTAgent.allCases.count) entries.")
        }
        guard (1...1000).contains(siteCount) else { throw FieldError(field: "site_count", message: "site_count is 1 to 1000.") }
        guard (1...20).contains(licensedUseTypes) else {
            throw FieldError(field: "licensed_use_types", message: "licensed_use_types is 1 to 20.")
        }
        guard jurisdiction.wholeMatch(of: /US-(NRC|[A-Z]{2})/) != nil else {
            throw FieldError(field: "jurisdiction",
                             message: "jurisdiction US-NRC or US-XX: US-NRC, or US- and an Agreement State's two-letter code such as US-TX.")
        }
        return PracticeScope(agents: Set(agents), inpatientTherapy: inpatientTherapy, patientSpecificDosimetry: patientSpecificDosimetry,
                             siteCount: siteCount, licensedUseTypes: licensedUseTypes, jurisdiction: jurisdiction)
    }
}

extension FacilityRecord {
    /// A facility as typed: a name (1–300 code points), an address (at most 1000, may be empty), and
    /// the distance from the main facility in miles (0–10000, a finite number). Throws `FieldError`.
    public static func checked(name: String, address: String, isMain: Bool, distanceMiles: Double) throws(FieldError) -> FacilityRecord {
        let name = try BoundedText(name, field: "name", max: 300)
        let address = try BoundedText(address, field: "address", max: 1000, allowEmpty: true)
        guard distanceMiles.isFinite, (0...10_000).contains(distanceMiles) else {
            throw FieldError(field: "distance_miles", message: "distance_miles is 0 to 10000.")
        }
        return FacilityRecord(name: name.value, address: address.value, isMain: isMain, distanceMiles: distanceMiles)
    }
}
