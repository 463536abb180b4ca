import AccreditationCore
import Foundation
import Testing

/// Calendar dates and accreditation terms are computed on the fields, in UTC, never in the process's
/// time zone: the same instant gives the same term on every server.
@Suite(.serialized) struct CalendarDateTests {
    static let zones = ["UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata", "Australia/Lord_Howe"]

    /// Runs `body` with the process's time zone set to each zone in turn.
    func underEveryZone(_ body: (String) throws -> Void) rethrows {
        let saved = ProcessInfo.processInfo.environment["TZ"]
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
            NSTimeZone.resetSystemTimeZone()
        }
        for zone in Self.zones {
            setenv("TZ", zone, 1)
            tzset()
            NSTimeZone.resetSystemTimeZone()
            #expect(TimeZone.current.identifier == zone || zone == "UTC")
            try body(zone)
        }
    }

    @Test func aTermFrom29FebruaryEndsOn28FebruaryInEveryZone() throws {
        // 2028-02-29T01:59Z: late on 28 February in New York, already 1 March nowhere in UTC.
        let decided = Date(timeIntervalSince1970: 1_835_402_340)
        #expect(decided.formatted(.iso8601) == "2028-02-29T01:59:00Z")
        try underEveryZone { zone in
            let term = try #require(TermPlan(decidedAt: decided, years: 3, reminderDays: [90, 30]))
            #expect(term.start.description == "2028-02-29", "\(zone)")
            #expect(term.end.description == "2031-02-28", "\(zone)")
            #expect(term.expiresAt.formatted(.iso8601) == "2031-03-01T00:00:00Z", "\(zone)")
            #expect(term.reminders.map { $0.formatted(.iso8601) } == ["2030-12-01T00:00:00Z", "2031-01-30T00:00:00Z"], "\(zone)")
        }
    }

    @Test func aFourYearTermFrom29FebruaryKeepsItsDay() throws {
        let decided = try #require(CalendarDate("2028-02-29")).startInUTC.addingTimeInterval(23 * 3600 + 59 * 60)
        let term = try #require(TermPlan(decidedAt: decided, years: 4, reminderDays: []))
        #expect(term.end.description == "2032-02-29")
    }

    @Test func theInstantsDayIsTheUTCDay() throws {
        try underEveryZone { _ in
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            var generator = SystemRandomNumberGenerator()
            // Foundation's calendar is Julian before October 1582; ours is proleptic Gregorian, as PostgreSQL's
            // and ISO 8601's are, so the two are compared from 1583 on.
            for _ in 0..<2_000 {
                let instant = Date(timeIntervalSince1970: Double.random(in: -12_212_553_600...253_402_300_799, using: &generator))
                let parts = utc.dateComponents([.year, .month, .day], from: instant)
                let day = CalendarDate(utcDayOf: instant)
                #expect([day.year, day.month, day.day] == [parts.year, parts.month, parts.day], "\(instant)")
                #expect(CalendarDate(day.description) == day)
                #expect(day.adding(days: 0) == day)
            }
        }
    }

    @Test func parsingAcceptsOnlyRealDaysInPlainDigits() {
        for good in ["2026-01-01", "2028-02-29", "2000-02-29", "0001-01-01", "9999-12-31"] {
            #expect(CalendarDate(good)?.description == good, "\(good)")
        }
        for bad in ["2026-+1-01", "+2026-01-01", "2026-1-01", "2026-01-1", " 2026-01-01", "2026-01-01 ", "2026-02-29", "1900-02-29",
                    "2026-13-01", "2026-00-10", "2026-04-31", "0000-01-01", "10000-01-01", "٢٠٢٦-٠١-٠١", "2026–01–01", "2026/01/01",
                    "2026-01-01T00:00:00Z", "", "-001-01-01", "2026-0x-01"] {
            #expect(CalendarDate(bad) == nil, "\(bad) must be refused")
        }
    }

    @Test func arithmeticStaysInRange() throws {
        let last = try #require(CalendarDate("9999-12-31"))
        #expect(last.adding(days: 1) == nil)
        #expect(last.adding(years: 1) == nil)
        #expect(try #require(CalendarDate("0001-01-01")).adding(days: -1) == nil)
        #expect(last.adding(days: Int.max) == nil)
        #expect(try #require(CalendarDate("2026-12-31")).adding(days: 1)?.description == "2027-01-01")
        #expect(try #require(CalendarDate("2024-02-28")).adding(days: 1)?.description == "2024-02-29")
        #expect(TermPlan(decidedAt: last.startInUTC, years: 3, reminderDays: []) == nil)
        // An instant far outside the range is clamped, never a trap.
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: -1e300)).description == "0001-01-01")
        #expect(CalendarDate(utcDayOf: Date(timeIntervalSince1970: .infinity)).description == "9999-12-31")
    }
}

@Test(arguments: ["GOV-01", "QM-09", "ABCD-123", "RPS-07"]) func indicatorCodesAccepted(_ raw: String) throws {
    #expect(try IndicatorCode(raw).value == raw)
}

@Test(arguments: ["", "G-01", "GOVER-01", "GOV-1", "GOV-1234", "gov-01", "GOV01", "GOV--01", "GOV-0A", "GOV-01 ", "ГOV-01", "GOV-٠١", "-01", "GOV-"])
func indicatorCodesRefused(_ raw: String) {
    #expect(throws: FieldError.self) { try IndicatorCode(raw) }
}
