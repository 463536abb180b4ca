public import AccreditationCore
public import Foundation
import Crypto

/// The stored form of a release: JSON with sorted keys, and the SHA-256 of it. The status is left out
/// of the hash so that retiring a release does not change its content.
public enum CanonicalForm {
    public static func json(_ release: CatalogRelease) throws -> Data {
        try CanonicalJSON.data(release)
    }

    public static func contentHash(_ release: CatalogRelease) throws -> String {
        var content = release
        content.status = .published
        let digest = SHA256.hash(data: try json(content))
        return Hex.encode(digest)
    }

    public static func decode(_ data: Data) throws -> CatalogRelease {
        try JSONDecoder().decode(CatalogRelease.self, from: data)
    }
}
