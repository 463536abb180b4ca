public import Foundation

/// A day of the proleptic Gregorian calendar, with no time and no time zone: a term's first and last
/// day, a visit date, the date a document speaks for. Written `YYYY-MM-DD` everywhere (ISO 8601's
/// calendar date, four-digit year).
///
/// Arithmetic is done on the fields, never through `Calendar.current` or the process's time zone, so
/// the same instant gives the same day on every server (`TZ` does not matter). Instants become days in
/// UTC (`init(utcDayOf:)`).
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// 1...9999.
    public let year: Int
    /// 1...12.
    public let month: Int
    /// 1...the month's length.
    public let day: Int

    /// The range of years accepted from outside: four digits, and well inside what PostgreSQL's `date` holds.
    public static let years = 1...9999

    /// A valid day, or `nil` (a 30 February, month 13, year 0 or 10000).
    public init?(year: Int, month: Int, day: Int) {
        guard Self.years.contains(year), (1...12).contains(month),
              (1...Self.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`: ASCII digits only (no sign, no spaces, no other digit scripts), a
    /// real day. Anything else is `nil`, so a caller can answer "not a calendar date" naming its field.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day an instant falls on in UTC. Instants outside years 1...9999 (infinities included) are
    /// clamped to the range's ends; NaN is 1970-01-01. Never traps.
    public init(utcDayOf instant: Date) {
        let seconds = instant.timeIntervalSince1970
        let days = seconds.isNaN ? 0 : Int((seconds / 86_400).rounded(.down).clamped(to: -719_162.0...2_932_896.0))
        self.init(daysSinceEpoch: days)
    }

    /// `2031-02-28`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The same month and day `years` later. A 29 February whose target year is not a leap year becomes
    /// 28 February: a term never runs into a month it did not start in, and never grows a day.
    /// `nil` past year 9999.
    public func adding(years: Int) -> CalendarDate? {
        let target = year + years
        return CalendarDate(year: target, month: month, day: min(day, Self.daysIn(month: month, year: target)))
    }

    /// `days` later (or earlier, when negative). `nil` outside years 1...9999.
    public func adding(days: Int) -> CalendarDate? {
        let (sum, overflow) = daysSinceEpoch.addingReportingOverflow(days)
        guard !overflow, (-719_162...2_932_896).contains(sum) else { return nil }
        return CalendarDate(daysSinceEpoch: sum)
    }

    /// 00:00 UTC at the start of this day.
    public var startInUTC: Date { Date(timeIntervalSince1970: Double(daysSinceEpoch) * 86_400) }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's `days_from_civil`.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysSinceEpoch` (`civil_from_days`); callers keep `days` inside years 1...9999.
    init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a calendar date, YYYY-MM-DD."))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

/// An accreditation term as the domain plans it when an application is accredited: which days it covers,
/// when it expires and when reminders go out. A pure function of the instant of the determination, the
/// term's length and the reminder settings; persistence only writes it.
///
/// The rule `[design]`: the term starts on the UTC day of the determination and ends on the same month
/// and day `years` later (a start on 29 February ends on 28 February when that year has none). The term
/// includes its last day; the accreditation expires at 00:00 UTC the day after. Reminders fall the given
/// numbers of days before that instant.
public struct TermPlan: Sendable, Equatable {
    public let start: CalendarDate
    public let end: CalendarDate
    /// 00:00 UTC on the day after `end`.
    public let expiresAt: Date
    /// One per reminder setting that still lies after `decidedAt`, in the order given.
    public let reminders: [Date]

    /// - Parameters:
    ///   - decidedAt: the instant of the determination.
    ///   - years: the term's length in whole years (3 or 4 in this programme).
    ///   - reminderDays: days before expiry at which to remind the practice.
    /// - Returns: `nil` only when the term would end after year 9999.
    public init?(decidedAt: Date, years: Int, reminderDays: [Int]) {
        let start = CalendarDate(utcDayOf: decidedAt)
        guard let end = start.adding(years: years), let after = end.adding(days: 1) else { return nil }
        self.start = start
        self.end = end
        expiresAt = after.startInUTC
        reminders = reminderDays.map { after.startInUTC.addingTimeInterval(-Double($0) * 86_400) }.filter { $0 > decidedAt }
    }
}
