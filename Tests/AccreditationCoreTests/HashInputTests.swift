import AccreditationCore
import Foundation
import Testing

/// The hash input is what every stored history hash covers, so its bytes must never change: these
/// tests hold it to the format as first written (strings joined as `<length>:<text>`, `~` for absent).
@Suite struct HashInputTests {
    /// The format written the plain way, as the first version of the service did.
    static func reference(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            guard let field else {
                bytes.append(0x7E)
                continue
            }
            bytes += Array(String(field.utf8.count).utf8) + [0x3A] + Array(field.utf8)
        }
        return bytes
    }

    static let texts = ["", "a", "staff", "Überprüfung ✓ — 線量", String(repeating: "x", count: 9), String(repeating: "y", count: 10),
                        String(repeating: "z", count: 99), String(repeating: "w", count: 100), String(repeating: "é", count: 600)]

    @Test(arguments: [Int64(0), 7, 9, 10, 99, 100, -1, -10, 1_795_000_000_123_456, Int64.max, Int64.min])
    func integersAreDecimalWithTheirLength(_ value: Int64) {
        var input = HashInput()
        input.integer(value)
        #expect(input.bytes == Self.reference([String(value)]))
    }

    @Test(arguments: texts)
    func textIsItsUTF8LengthThenItsBytes(_ text: String) {
        var input = HashInput(capacity: 4) // grows as needed
        input.text(text)
        #expect(input.bytes == Self.reference([text]))
        var fromBytes = HashInput()
        Array(text.utf8).withUnsafeBytes { fromBytes.text($0) }
        #expect(fromBytes.bytes == input.bytes)
    }

    @Test func uuidsAreWrittenAsUUIDStringWritesThem() {
        for _ in 0..<100 {
            let id = UUID()
            var input = HashInput()
            input.uuid(id.uuid)
            #expect(input.bytes == Self.reference([id.uuidString]))
        }
    }

    @Test func aWholeEventMatchesTheReferenceAndAnAbsentValueDiffersFromADash() {
        let application = UUID(), actor = UUID(), subject = UUID()
        for (actorID, from) in [(Optional(actor), Optional("draft")), (nil, nil), (nil, "-")] {
            let input = HistoryEvent.hashInput(
                applicationID: application, seq: 12, occurredAtMicros: 1_795_000_000_123_456, actorID: actorID, actorRole: "staff",
                machine: "application", subjectID: subject, action: "submit", fromState: from, toState: "submitted",
                reason: "Nachweis überprüft", payload: #"{"a":1}"#, prevHash: HistoryEvent.genesisHash
            )
            #expect(input == Self.reference([application.uuidString, "12", "1795000000123456", actorID?.uuidString, "staff", "application",
                                             subject.uuidString, "submit", from, "submitted", "Nachweis überprüft", #"{"a":1}"#,
                                             HistoryEvent.genesisHash]))
        }
    }

    @Test func resetKeepsOnlyTheRequestedPrefix() {
        var input = HashInput()
        input.text("first")
        let kept = input.written
        input.text("second")
        input.reset(keeping: kept)
        input.text("third")
        #expect(input.bytes == Self.reference(["first", "third"]))
        input.reset()
        #expect(input.bytes.isEmpty)
    }
}
