import AccreditationCore
import Foundation
import Testing

/// The plain chain verifier on its own, over events built in memory. The domain has no SHA-256, and the
/// verifier takes its hash as a parameter, so these chains are hashed with a small stand-in (four FNV-1a
/// lanes, 64 hex digits): the rules do not depend on which hash it is.
@Suite struct ChainVerifierTests {
    static func hash(_ bytes: [UInt8]) -> String {
        (0..<4).map { lane -> String in
            var value: UInt64 = 0xcbf2_9ce4_8422_2325 &+ UInt64(lane)
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static let application = UUID(uuidString: "3F1C2A9E-0000-4000-8000-000000000001")!

    /// An intact chain of `count` events with ids from 101, as the service writes them.
    static func chain(_ count: Int, application: UUID = application) -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        for seq in stride(from: 1, through: count, by: 1) {
            events.append(sealed(seq: seq, id: Int64(100 + seq), reason: "Step \(seq) — überprüft",
                                 prevHash: events.last?.hash ?? HistoryEvent.genesisHash, application: application))
        }
        return events
    }

    /// An event whose hash is right for its content (and `prevHash`).
    static func sealed(seq: Int, id: Int64, reason: String, prevHash: String, actorID: UUID? = UUID(), fromState: String? = "draft",
                       occurredAtMicros: Int64 = 1_790_000_000_000_000, application: UUID = application) -> HistoryEvent {
        let subject = application
        let input = HistoryEvent.hashInput(applicationID: application, seq: seq, occurredAtMicros: occurredAtMicros, actorID: actorID,
                                           actorRole: "staff", machine: "application", subjectID: subject, action: "submit",
                                           fromState: fromState, toState: "submitted", reason: reason, payload: "{}", prevHash: prevHash)
        return HistoryEvent(id: id, applicationID: application, seq: seq, occurredAtMicros: occurredAtMicros, actorID: actorID,
                            actorRole: "staff", machine: "application", subjectID: subject, action: "submit", fromState: fromState,
                            toState: "submitted", reason: reason, payload: "{}", prevHash: prevHash, hash: hash(input))
    }

    static func head(of events: [HistoryEvent]) -> ChainVerifier.Head {
        ChainVerifier.Head(seq: events.last?.seq ?? 0, hash: events.last?.hash ?? HistoryEvent.genesisHash)
    }

    static func verify(_ events: [HistoryEvent], head: ChainVerifier.Head?, timesOutOfRange: Set<Int64> = [],
                       application: UUID = application) -> ChainVerifier.Break? {
        ChainVerifier.firstBreak(application: application, head: head, events: events, timesOutOfRange: timesOutOfRange, sha256Hex: hash)
    }

    /// `event` with one field replaced, its hash kept.
    static func edited(_ event: HistoryEvent, seq: Int? = nil, micros: Int64? = nil, actorID: UUID?? = nil, subjectID: UUID? = nil,
                       fromState: String?? = nil, reason: String? = nil, payload: String? = nil, prevHash: String? = nil,
                       hash: String? = nil) -> HistoryEvent {
        HistoryEvent(id: event.id, applicationID: event.applicationID, seq: seq ?? event.seq, occurredAtMicros: micros ?? event.occurredAtMicros,
                     actorID: actorID ?? event.actorID, actorRole: event.actorRole, machine: event.machine,
                     subjectID: subjectID ?? event.subjectID, action: event.action, fromState: fromState ?? event.fromState,
                     toState: event.toState, reason: reason ?? event.reason, payload: payload ?? event.payload,
                     prevHash: prevHash ?? event.prevHash, hash: hash ?? event.hash)
    }

    @Test func anIntactChainInAnyOrderHasNoBreak() {
        let events = Self.chain(9)
        #expect(Self.verify(events, head: Self.head(of: events)) == nil)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            #expect(Self.verify(events.shuffled(using: &generator), head: Self.head(of: events)) == nil)
        }
    }

    @Test func anEmptyChainIsIntactOnlyWhenTheHeadIsTheGenesis() {
        #expect(Self.verify([], head: .init(seq: 0, hash: HistoryEvent.genesisHash)) == nil)
        #expect(Self.verify([], head: .init(seq: 3, hash: "x")) ==
                .init(eventID: 0, seq: 0, problem: "has no events, but the application records 3: the whole chain is missing"))
        #expect(Self.verify([], head: .init(seq: 0, hash: "x")) ==
                .init(eventID: 0, seq: 0, problem: "ends the chain, but does not match the head the application records"))
    }

    @Test func everyChangedFieldIsAChangedRow() {
        let events = Self.chain(5)
        let target = events[2]
        let changes: [HistoryEvent] = [
            Self.edited(target, micros: target.occurredAtMicros + 1),
            Self.edited(target, actorID: .some(nil)),
            Self.edited(target, subjectID: UUID()),
            Self.edited(target, fromState: .some(nil)),
            Self.edited(target, fromState: "-"),
            Self.edited(target, reason: target.reason + " "),
            Self.edited(target, payload: #"{"x":"1"}"#),
            Self.edited(target, hash: target.hash.uppercased()),
            Self.edited(target, hash: "abc"),
        ]
        for changed in changes {
            var tampered = events
            tampered[2] = changed
            #expect(Self.verify(tampered, head: Self.head(of: events)) ==
                    .init(eventID: target.id, seq: 3, problem: "does not match its hash: the row was changed"), "\(changed)")
        }
    }

    @Test func aTimeBeyondSixtyFourBitsNeverMatches() {
        let events = Self.chain(3)
        // Even with a hash made for the placeholder time, the event was not written by apex.
        #expect(Self.verify(events, head: Self.head(of: events), timesOutOfRange: [events[1].id]) ==
                .init(eventID: events[1].id, seq: 2, problem: "does not match its hash: the row was changed"))
    }

    @Test func aRehashedEventBreaksTheLinkAfterItOrTheHead() {
        let events = Self.chain(4)
        var middle = events
        middle[1] = Self.sealed(seq: 2, id: events[1].id, reason: "Nothing happened.", prevHash: events[0].hash)
        #expect(Self.verify(middle, head: Self.head(of: events)) ==
                .init(eventID: events[2].id, seq: 3, problem: "does not link to the event before it"))
        var last = events
        last[3] = Self.sealed(seq: 4, id: events[3].id, reason: "Nothing happened.", prevHash: events[2].hash)
        #expect(Self.verify(last, head: Self.head(of: events)) ==
                .init(eventID: events[3].id, seq: 4, problem: "ends the chain, but does not match the head the application records"))
        // Rewriting the head too makes the forgery whole: the chain has no secret, so the trigger and the
        // database roles are what stop this (docs/operations.md, History and audit).
        #expect(Self.verify(last, head: Self.head(of: last)) == nil)
    }

    @Test func deletedEventsAreGapsOrAMissingEnd() {
        let events = Self.chain(6)
        var gapped = events
        gapped.remove(at: 2)
        gapped.remove(at: 2)
        #expect(Self.verify(gapped, head: Self.head(of: events)) ==
                .init(eventID: events[4].id, seq: 5, problem: "follows #2: 2 event(s) before it are missing"))
        #expect(Self.verify(Array(events.dropFirst()), head: Self.head(of: events)) ==
                .init(eventID: events[1].id, seq: 2, problem: "follows #0: 1 event(s) before it are missing"))
        #expect(Self.verify(Array(events.prefix(4)), head: Self.head(of: events)) ==
                .init(eventID: events[3].id, seq: 4,
                      problem: "ends the chain at #4, but the application records #6: the last 2 event(s) are missing"))
    }

    @Test func aHeadBehindOrOtherThanTheChainDoesNotMatch() {
        let events = Self.chain(5)
        let problem = "ends the chain, but does not match the head the application records"
        #expect(Self.verify(events, head: .init(seq: 4, hash: events[3].hash)) == .init(eventID: events[4].id, seq: 5, problem: problem))
        #expect(Self.verify(events, head: .init(seq: 5, hash: events[3].hash)) == .init(eventID: events[4].id, seq: 5, problem: problem))
        #expect(Self.verify(events, head: .init(seq: 5, hash: events[4].hash.uppercased())) == .init(eventID: events[4].id, seq: 5, problem: problem))
    }

    @Test func theSequenceIsCheckedBeforeTheLinkAndTheLinkBeforeTheHash() {
        let events = Self.chain(4)
        var all = events
        all[3] = Self.edited(events[3], seq: 7, prevHash: "wrong", hash: "wrong")
        #expect(Self.verify(all, head: Self.head(of: events))?.problem == "follows #3: 3 event(s) before it are missing")
        var linkAndHash = events
        linkAndHash[2] = Self.edited(events[2], prevHash: "wrong", hash: "wrong")
        #expect(Self.verify(linkAndHash, head: Self.head(of: events))?.problem == "does not link to the event before it")
    }

    @Test func aRepeatedOrNonPositiveSequenceNumberIsReported() {
        let events = Self.chain(3)
        let duplicate = HistoryEvent(id: 999, applicationID: Self.application, seq: 2, occurredAtMicros: 0, actorID: nil, actorRole: "staff",
                                     machine: "application", subjectID: Self.application, action: "submit", fromState: nil,
                                     toState: "submitted", reason: "", payload: "{}", prevHash: events[0].hash, hash: "forged")
        // Equal seqs are taken by id: the original (lower id) first, then the copy.
        #expect(Self.verify(events + [duplicate], head: Self.head(of: events)) ==
                .init(eventID: 999, seq: 2, problem: "follows #2: -1 event(s) before it are missing"))
        let zero = Self.edited(events[0], seq: 0)
        #expect(Self.verify([zero] + events.dropFirst(), head: Self.head(of: events)) ==
                .init(eventID: events[0].id, seq: 0, problem: "follows #0: -1 event(s) before it are missing"))
    }

    @Test func theHashCoversTheChainsApplicationNotTheEventsOwnField() {
        let events = Self.chain(3)
        let other = UUID()
        // The events claim another application, but the hash was made for this one: still intact.
        let relabelled = events.map {
            HistoryEvent(id: $0.id, applicationID: other, seq: $0.seq, occurredAtMicros: $0.occurredAtMicros, actorID: $0.actorID,
                         actorRole: $0.actorRole, machine: $0.machine, subjectID: $0.subjectID, action: $0.action, fromState: $0.fromState,
                         toState: $0.toState, reason: $0.reason, payload: $0.payload, prevHash: $0.prevHash, hash: $0.hash)
        }
        #expect(Self.verify(relabelled, head: Self.head(of: events)) == nil)
        // Moved under another application, the first event no longer matches.
        #expect(Self.verify(events, head: Self.head(of: events), application: other) ==
                .init(eventID: events[0].id, seq: 1, problem: "does not match its hash: the row was changed"))
    }

    @Test func eventsWithoutAnApplicationAreReportedAtTheLowestID() {
        let events = Self.chain(4)
        #expect(Self.verify(events.reversed(), head: nil) ==
                .init(eventID: events[0].id, seq: 0, problem: "has 4 event(s), but the application itself is missing"))
        #expect(Self.verify([], head: nil) == nil)
    }

    @Test func theHashIsTheOnePassed() {
        let events = Self.chain(2)
        let found = ChainVerifier.firstBreak(application: Self.application, head: Self.head(of: events), events: events,
                                              sha256Hex: { String(Self.hash($0).reversed()) })
        #expect(found == .init(eventID: events[0].id, seq: 1, problem: "does not match its hash: the row was changed"))
    }
}
