public import Foundation

/// The one canonical JSON form the service writes where bytes matter (history payloads that are hashed,
/// catalog releases whose content is hashed, answers kept ready-encoded): keys sorted, slashes not
/// escaped, no whitespace. One definition, so two writers can never disagree about the bytes.
public enum CanonicalJSON {
    /// A new encoder in the canonical settings (encoders are not thread-safe to share while configuring).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `value` in the canonical form. Throws what `JSONEncoder` throws (a non-finite number, say).
    public static func data<T: Encodable>(_ value: T) throws -> Data { try encoder().encode(value) }

    /// A string-to-string payload as canonical JSON text; such a payload always encodes.
    public static func text(_ payload: [String: String]) -> String {
        String(decoding: (try? data(payload)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// Lower-case hexadecimal, the one spelling of digests and hashes everywhere (SHA-256 of evidence,
/// tokens, catalog content, history events).
public enum Hex {
    /// Two lower-case hex digits per byte.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Whole numbers as they may arrive from outside (query parameters, cursors, settings): an optional
/// minus sign and ASCII digits, nothing else. `Int64(_:)` alone would also take a `+` sign, which
/// other readers (PostgreSQL among them) may refuse or read differently.
public enum PlainInteger {
    /// The value, or nil for any other spelling or a value outside `Int64`.
    public static func parse(_ text: some StringProtocol) -> Int64? {
        let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(text)
    }
}
