public import Foundation
import AccreditationCore
import Crypto

/// Encodings shared by the stores: SHA-256 as lowercase hex (checksums, token and history hashes) and
/// base64url without padding (tokens, cursors).
public enum Encoding {
    public static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 { Hex.encode(bytes) }

    public static func base64URL<D: DataProtocol>(_ data: D) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func fromBase64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
