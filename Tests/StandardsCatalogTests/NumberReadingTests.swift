import AccreditationCore
import Foundation
@testable import StandardsCatalog
import TestSupport
import Testing

/// One reading of the catalog: numbers only in plain decimal notation, text that no YAML reader types
/// as something else, no repeated keys; everything else refused at file:line:column naming the field.
@Suite struct NumberReadingTests {
    /// The issues of a fixture, with the folder prefix stripped from file names.
    func issues(_ fixture: CatalogFixture) throws -> [String] {
        let folder = try fixture.write()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (release, issues) = CatalogLoader.read(folder: folder)
        #expect(release == nil || issues.isEmpty)
        return issues.map { $0.description.replacingOccurrences(of: folder + "/", with: "") }
    }

    /// `file:line:column` of the text after `prefix` in `needle`, where `needle` first occurs.
    func at(_ fixture: CatalogFixture, _ needle: String, after prefix: String = "", inRelease: Bool = false) -> String {
        let text = inRelease ? fixture.release : fixture.domain
        let (line, column) = CatalogFixture.position(of: needle, in: text)
        return "\(inRelease ? "release.yaml" : CatalogFixture.domainFile):\(line):\(column + prefix.count)"
    }

    static let plain = "write numbers in plain decimal notation"

    /// The fixture with GOV-02's rule written in block style (flow style would give `1:30` and `,` other meanings).
    static func atLeast(_ written: String, field: String = "site_count") -> CatalogFixture {
        CatalogFixture().replacingInDomain("when: {field: inpatient_therapy, equals: true}", with: "when:\n              field: \(field)\n              at_least: \(written)")
    }

    // MARK: - Numbers

    /// Every notation some YAML reader takes as a number other than a plain decimal, in `at_least`.
    @Test(arguments: [
        ("010", "is written 010 with a leading zero, which YAML 1.1 reads as octal (010 is 8) and YAML 1.2 as decimal; \(plain): 10"),
        ("007", "is written 007 with a leading zero, which YAML 1.1 reads as octal (010 is 8) and YAML 1.2 as decimal; \(plain): 7"),
        ("0o10", "is written 0o10 in octal notation; \(plain): 8"),
        ("0x10", "is written 0x10 in hexadecimal notation; \(plain): 16"),
        ("0x1p3", "is written 0x1p3 in hexadecimal notation; \(plain), such as 12 or 0.25"),
        ("0b11", "is written 0b11 in binary notation; \(plain): 3"),
        ("1e3", "is written 1e3 with an exponent; \(plain): 1000"),
        ("2E+1", "is written 2E+1 with an exponent; \(plain): 20"),
        ("1e-400", "is written 1e-400 with an exponent; \(plain), such as 12 or 0.25"),
        (".inf", "is written .inf (infinity or not-a-number); \(plain), such as 12 or 0.25"),
        ("-.inf", "is written -.inf (infinity or not-a-number); \(plain), such as 12 or 0.25"),
        (".nan", "is written .nan (infinity or not-a-number); \(plain), such as 12 or 0.25"),
        ("+2", "is written +2 with a leading '+'; \(plain): 2"),
        ("1_0", "is written 1_0 with '_' between digits, which only YAML 1.1 reads as a number; \(plain): 10"),
        ("1:30", "is written 1:30 in base 60, which YAML 1.1 reads as minutes and seconds; \(plain), such as 12 or 0.25"),
        ("5.", "is written 5. without a digit on both sides of the decimal point; \(plain): 5"),
    ])
    func surprisingNotationIsRefused(written: String, message: String) throws {
        let fixture = Self.atLeast(written)
        #expect(try issues(fixture) == ["\(at(fixture, "at_least: \(written)", after: "at_least: ")): 'at_least' \(message)"])
    }

    /// Out of the field's range (site_count is 1 to 1000), past Int, a fraction, text, true/false.
    @Test(arguments: [
        ("0", "'at_least' must be a whole number from 1 to 1000"),
        ("1001", "'at_least' must be a whole number from 1 to 1000"),
        ("-3", "'at_least' must be a whole number from 1 to 1000"),
        ("99999999999999999999999", "'at_least' must be a whole number from 1 to 1000"),
        ("-9223372036854775809", "'at_least' must be a whole number from 1 to 1000"),
        ("2.0", "'at_least' must be a whole number from 1 to 1000; write 2 without a decimal point"),
        ("2.5", "'at_least' must be a whole number from 1 to 1000"),
        ("\"2\"", "'at_least' is in quotes, so it reads as text; write the number without quotes: 2"),
        ("two", "'at_least' must be a whole number from 1 to 1000"),
        ("true", "'at_least' must be a whole number from 1 to 1000"),
        ("yes", "'at_least' must be a whole number from 1 to 1000"),
        ("2026-01-01", "'at_least' must be a whole number from 1 to 1000"),
    ])
    func numbersOutOfRangeOrNotNumbers(written: String, message: String) throws {
        let fixture = Self.atLeast(written)
        #expect(try issues(fixture) == ["\(at(fixture, "at_least: \(written)", after: "at_least: ")): \(message)"])
    }

    @Test func atLeastFollowsTheRangeOfItsField() throws {
        let fixture = Self.atLeast("21", field: "licensed_use_types")
        #expect(try issues(fixture) == ["\(at(fixture, "at_least: 21", after: "at_least: ")): 'at_least' must be a whole number from 1 to 20"])
        let fits = Self.atLeast("20", field: "licensed_use_types")
        #expect(try issues(fits).isEmpty)
    }

    @Test func levelAndYearAreReadTheSameWay() throws {
        let level = CatalogFixture().replacingInDomain("level: 1", with: "level: 01")
        #expect(try issues(level) == [
            "\(at(level, "level: 01", after: "level: ")): indicator GOV-01 'level' is written 01 with a leading zero, which YAML 1.1 reads as octal (010 is 8) and YAML 1.2 as decimal; \(Self.plain): 1",
        ])
        let year = CatalogFixture().replacingInRelease("year: 2024", with: "year: 2.024e3")
        #expect(try issues(year) == [
            "\(at(year, "2.024e3", inRelease: true)): reference 'year' is written 2.024e3 with an exponent; \(Self.plain): 2024",
        ])
        let future = CatalogFixture().replacingInRelease("year: 2024", with: "year: 20240")
        #expect(try issues(future) == ["\(at(future, "20240", inRelease: true)): reference 'year' must be a whole number from 1900 to 2100"])
    }

    @Test(arguments: [
        ("1e-400", "threshold 'tolerance_percent' is written 1e-400 with an exponent; \(plain), such as 12 or 0.25"),
        ("0x1p3", "threshold 'tolerance_percent' is written 0x1p3 in hexadecimal notation; \(plain), such as 12 or 0.25"),
        ("1.5e1", "threshold 'tolerance_percent' is written 1.5e1 with an exponent; \(plain): 15"),
        ("-1", "threshold 'tolerance_percent' must be a number from 0 to 1000000000"),
        ("1000000000.5", "threshold 'tolerance_percent' must be a number from 0 to 1000000000"),
        ("1\(String(repeating: "0", count: 400))", "threshold 'tolerance_percent' must be a number from 0 to 1000000000"),
        ("\"20\"", "threshold 'tolerance_percent' is in quotes, so it reads as text; write the number without quotes: 20"),
        ("twenty", "threshold 'tolerance_percent' must be a number from 0 to 1000000000"),
    ])
    func thresholdsAreNumbersInRange(written: String, message: String) throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          thresholds: {tolerance_percent: \(written)}")
        #expect(try issues(fixture) == ["\(at(fixture, "\(written)}")): \(message)"])
    }

    @Test func plainDecimalThresholdsAreRead() throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          thresholds: {tolerance_percent: 0.25, retention_years: 3, zero_days: 0, negative_zero_days: -0}")
        let release = try CatalogLoader.load(folder: try fixture.write())
        #expect(release.indicators[0].indicator.thresholds == ["tolerance_percent": 0.25, "retention_years": 3, "zero_days": 0, "negative_zero_days": 0])
    }

    // MARK: - Text and true/false

    /// Unquoted values that some YAML reader types as a number, true/false or a date, where text is expected.
    @Test(arguments: [
        ("version: \"2026.1\"", "version: 2026.1", "2026.1", "'version' is written 2026.1, which reads as a number, not text; write it in quotes (\"2026.1\")"),
        ("effective: \"2026-01-01\"", "effective: 2026-01-01", "2026-01-01", "'effective' is written 2026-01-01, which YAML 1.1 reads as a date; write it in quotes (\"2026-01-01\")"),
        ("title: Demo catalog", "title: yes", "yes", "'title' is written yes, which YAML 1.1 reads as true or false; write it in quotes (\"yes\")"),
        ("title: Demo catalog", "title: Off", "Off", "'title' is written Off, which YAML 1.1 reads as true or false; write it in quotes (\"Off\")"),
        ("title: Demo catalog", "title: true", "true", "'title' is written true, which reads as true or false, not text; write it in quotes (\"true\")"),
        ("title: Demo catalog", "title: 0x1F", "0x1F", "'title' is written 0x1F, which reads as a number, not text; write it in quotes (\"0x1F\")"),
        ("publisher: U.S. Nuclear Regulatory Commission", "publisher: 2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z",
         "reference 'publisher' is written 2026-01-01T10:00:00Z, which YAML 1.1 reads as a date; write it in quotes (\"2026-01-01T10:00:00Z\")"),
    ])
    func typedValuesWhereTextIsExpected(old: String, new: String, value: String, message: String) throws {
        let fixture = CatalogFixture().replacingInRelease(old, with: new)
        #expect(try issues(fixture) == ["\(at(fixture, new, after: String(new.dropLast(value.count)), inRelease: true)): \(message)"])
    }

    @Test func quotedLookalikesAreText() throws {
        let fixture = CatalogFixture()
            .replacingInRelease("title: Demo catalog", with: "title: \"yes\"")
            .replacingInDomain("locator: \"10 CFR 35.300\"", with: "locator: \"35.300\"")
            .replacingInDomain("title: Licence", with: "title: '010'")
        let release = try CatalogLoader.load(folder: try fixture.write())
        #expect(release.title == "yes")
        #expect(release.indicators[0].indicator.references[0].locator == "35.300")
        #expect(release.indicators[0].indicator.title == "010")
    }

    @Test(arguments: [
        ("yes", "'equals' is written yes, which YAML 1.1 reads as true or false and YAML 1.2 as text; write true or false"),
        ("on", "'equals' is written on, which YAML 1.1 reads as true or false and YAML 1.2 as text; write true or false"),
        ("N", "'equals' is written N, which YAML 1.1 reads as true or false and YAML 1.2 as text; write true or false"),
        ("\"true\"", "'equals' is in quotes, so it reads as text; write true without quotes"),
        ("1", "'equals' must be true or false"),
    ])
    func flagsAreTrueOrFalse(written: String, message: String) throws {
        let fixture = CatalogFixture().replacingInDomain("equals: true}", with: "equals: \(written)}")
        #expect(try issues(fixture) == ["\(at(fixture, "equals: \(written)", after: "equals: ")): \(message)"])
    }

    @Test func flagSpellingsBothYAMLVersionsShare() throws {
        let fixture = CatalogFixture().replacingInDomain("equals: true}", with: "equals: True}")
        #expect(try issues(fixture).isEmpty)
    }

    // MARK: - Duplicate keys

    @Test func duplicateKeyIsReportedAtItsSecondOccurrence() throws {
        let fixture = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          level: 2")
        #expect(try issues(fixture) == [
            "\(at(fixture, "level: 2")): duplicate key 'level' in one mapping (first at \(at(fixture, "level: 1"))); keep one",
        ])
    }

    @Test func everyRepeatIsReportedInEveryMapping() throws {
        let fixture = CatalogFixture()
            .replacingInDomain("          scoring: compliance", with: "          scoring: compliance\n          \"scoring\": compliance\n          scoring: compliance")
            .replacingInDomain("{field: inpatient_therapy, equals: true}", with: "{field: inpatient_therapy, equals: true, field: agents}")
            .replacingInDomain("  title: Governance", with: "  title: Governance\n  title: Oversight")
        let first = at(fixture, "scoring: compliance")
        let lines = fixture.domain.split(separator: "\n", omittingEmptySubsequences: false)
        let scoring = lines.indices.filter { lines[$0].contains("scoring") }.prefix(3).map { $0 + 1 }
        #expect(try issues(fixture) == [
            "\(at(fixture, "title: Oversight")): duplicate key 'title' in one mapping (first at \(at(fixture, "title: Governance"))); keep one",
            "01-gov.yaml:\(scoring[1]):11: duplicate key 'scoring' in one mapping (first at \(first)); keep one",
            "01-gov.yaml:\(scoring[2]):11: duplicate key 'scoring' in one mapping (first at \(first)); keep one",
            "\(at(fixture, "field: agents")): duplicate key 'field' in one mapping (first at \(at(fixture, "field: inpatient_therapy"))); keep one",
        ])
    }

    @Test func duplicateKeysInTheReleaseFileAndScopes() throws {
        let fixture = CatalogFixture().replacingInRelease("status: published", with: "status: published\nstatus: draft")
        #expect(try issues(fixture) == [
            "\(at(fixture, "status: draft", inRelease: true)): duplicate key 'status' in one mapping (first at \(at(fixture, "status: published", inRelease: true))); keep one",
        ])
        #expect(try scopeIssue("agents: [ra223]\nsite_count: 2\nsite_count: 3\n") == "scope.yaml:3:1: duplicate key 'site_count' in one mapping (first at scope.yaml:2:1); keep one")
    }

    @Test func pastTheLocatingLimitTheFirstOccurrenceIsNamed() throws {
        let text = "agents: [ra223]\n" + (1...(DuplicateKeys.maximumRounds + 4)).map { "site_count: \($0)\n" }.joined()
        #expect(try scopeIssue(text) == "scope.yaml:2:1: duplicate key 'site_count' in one mapping (this is its first occurrence; it appears again below)")
    }

    // MARK: - Scope files: the same reading

    func scopeIssue(_ text: String) throws -> String {
        let folder = try TestCluster.makeTemporaryFolder(prefix: "apex-scope")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try text.write(toFile: folder + "/scope.yaml", atomically: true, encoding: .utf8)
        do {
            _ = try ScopeLoader.load(file: folder + "/scope.yaml")
            return "loaded"
        } catch let invalid as CatalogInvalid {
            return invalid.issues.map { $0.description.replacingOccurrences(of: folder + "/", with: "") }.joined(separator: "\n")
        }
    }

    @Test(arguments: [
        ("agents: []\nsite_count: 010\n", "scope.yaml:2:13: 'site_count' is written 010 with a leading zero, which YAML 1.1 reads as octal (010 is 8) and YAML 1.2 as decimal; \(plain): 10"),
        ("agents: []\nlicensed_use_types: 1e1\n", "scope.yaml:2:21: 'licensed_use_types' is written 1e1 with an exponent; \(plain): 10"),
        ("agents: []\nlicensed_use_types: 21\n", "scope.yaml:2:21: 'licensed_use_types' must be a whole number from 1 to 20"),
        ("agents: []\nsite_count: 18446744073709551616\n", "scope.yaml:2:13: 'site_count' must be a whole number from 1 to 1000"),
        ("agents: []\ninpatient_therapy: off\n", "scope.yaml:2:20: 'inpatient_therapy' is written off, which YAML 1.1 reads as true or false and YAML 1.2 as text; write true or false"),
        ("agents: [ra223, i131, ra223]\n", "scope.yaml:1:23: 'agents' lists 'ra223' twice"),
    ])
    func scopesAreReadTheSameWay(text: String, expected: String) throws {
        #expect(try scopeIssue(text) == expected)
    }

    // MARK: - Rules the schema states too

    @Test func rulesSharedWithTheSchema() throws {
        let pathways = CatalogFixture().replacingInRelease("pathways: [rpt-standalone]", with: "pathways: [rpt-standalone, rpt-standalone]")
        #expect(try issues(pathways) == ["\(at(pathways, "rpt-standalone]", inRelease: true)): 'pathways' lists 'rpt-standalone' twice"])

        let oneValue = CatalogFixture().replacingInRelease("      - {id: non-compliant, title: Non-compliant, meets: false}\n", with: "")
        #expect(try issues(oneValue) == ["\(at(oneValue, "- {id: compliant", inRelease: true)): scale 'compliance' needs at least two values: one that meets the requirement and one that does not"])

        let noThresholds = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          thresholds: {}")
        #expect(try issues(noThresholds) == ["\(at(noThresholds, "{}")): indicator GOV-01 'thresholds' names no threshold; leave the key out instead"])

        let oneWord = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          thresholds: {tolerance: 5}")
        #expect(try issues(oneWord) == ["\(at(oneWord, "tolerance")): a threshold name 'tolerance' is not in the form dis_max_half_life_days"])

        let apexStandard = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          apex: {pillar: safety, standard: S10}")
        #expect(try issues(apexStandard) == ["\(at(apexStandard, "S10")): APEx 'standard' 'S10' is not in the form S8"])

        let noOverrides = CatalogFixture().replacingInDomain("          level: 1", with: "          level: 1\n          jurisdiction_overrides: []")
        #expect(try issues(noOverrides) == ["\(at(noOverrides, "[]\n")): indicator GOV-01 'jurisdiction_overrides' must not be empty"])

        let agents = CatalogFixture().replacingInDomain("{field: inpatient_therapy, equals: true}", with: "{field: agents, includes_any: [i131, i131]}")
        #expect(try issues(agents) == ["\(at(agents, "i131]")): 'includes_any' lists 'i131' twice"])
    }

    // MARK: - The plain reading itself

    @Test func plainReadingClassifiesEverySpelling() {
        #expect(PlainReading("12") == .decimal("12"))
        #expect(PlainReading("-0.25") == .decimal("-0.25"))
        #expect(PlainReading("0") == .decimal("0"))
        #expect(PlainReading("~") == .null)
        #expect(PlainReading("FALSE") == .bool(false))
        #expect(PlainReading("Yes") == .yaml11Bool(true))
        #expect(PlainReading("2026-7-1T10:00:00") == .timestamp)
        #expect(PlainReading("2026-7-1") == .text)
        #expect(PlainReading("12:30") == .notation(reason: "in base 60, which YAML 1.1 reads as minutes and seconds", suggestion: nil))
        #expect(PlainReading("+-1") == .text)
        #expect(PlainReading("0x+") == .text)
        #expect(PlainReading("0o9") == .text)
        #expect(PlainReading("1.2.3") == .text)
        #expect(PlainReading("10 CFR 35.300") == .text)
        #expect(PlainReading("S8") == .text)
        #expect(PlainReading("-") == .text)
        #expect(PlainReading("e3") == .text)
        #expect(PlainReading("10-20") == .text)
        #expect(PlainReading(".5") == .notation(reason: "without a digit on both sides of the decimal point", suggestion: "0.5"))
        #expect(PlainReading("-1.5e-2") == .notation(reason: "with an exponent", suggestion: "-0.015"))
        #expect(PlainReading("0xFFFFFFFFFFFFFFFFFFFF") == .notation(reason: "in hexadecimal notation", suggestion: nil))
    }

    /// Every spelling of up to four characters from number-ish pieces: no trap, plain decimals convert,
    /// and every suggested replacement is itself a plain decimal.
    @Test func plainReadingNeverTrapsAndSuggestsOnlyPlainDecimals() {
        let pieces: [Character] = ["0", "1", "9", "+", "-", ".", "e", "_", ":", "x"]
        var spellings = [""]
        for _ in 1...4 { spellings += spellings.filter { $0.count == spellings.last!.count }.flatMap { base in pieces.map { base + String($0) } } }
        for spelling in spellings {
            switch PlainReading(spelling) {
            case let .decimal(text):
                #expect(Double(text) != nil, "\(spelling)")
            case let .notation(_, suggestion?):
                #expect(PlainReading(suggestion) == .decimal(suggestion), "\(spelling) suggests \(suggestion)")
            default:
                break
            }
        }
    }
}
