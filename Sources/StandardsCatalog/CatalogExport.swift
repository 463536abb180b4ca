public import Foundation
import Yams

/// What apex read from catalog and scope files, as JSON (`apex standards export-json`): each file's
/// content typed the way apex types it (numbers only from plain decimals, text trimmed), with the line
/// and column of every value. This is the one reading of the catalog: `scripts/check-schema.py` checks
/// it against `Standards/catalog.schema.json` rather than parsing the YAML again another way.
public enum CatalogExport {
    /// One file as apex read it.
    public struct File: Codable, Sendable, Equatable {
        public let file: String
        /// `release`, `domain` or `scope`: the part of `catalog.schema.json` that describes the file.
        public let kind: String
        public let content: JSONValue
        /// `line:column` of every value, by JSON Pointer (RFC 6901) into `content`; "" is the whole file.
        public let locations: [String: String]
    }

    /// One release folder: what it holds, and its files.
    public struct Release: Codable, Sendable, Equatable {
        public let folder: String
        public let release: String
        public let domains: Int
        public let standards: Int
        public let indicators: Int
        public let files: [File]
    }

    /// Everything exported in one run.
    public struct Document: Codable, Sendable, Equatable {
        public let releases: [Release]
        public let scopes: [File]
    }

    /// Loads every release folder and scope file with the validator, then exports what it read. Throws
    /// `CatalogInvalid` listing every problem when anything does not load: only what apex accepts is
    /// exported, so the schema is never checked against a reading apex would refuse.
    public static func document(releaseFolders: [String], scopeFiles: [String] = []) throws -> Document {
        var issues: [CatalogIssue] = []
        var releases: [Release] = []
        for folder in releaseFolders {
            let (release, problems) = CatalogLoader.read(folder: folder)
            issues += problems
            guard let release else { continue }
            let files = [CatalogLoader.join(folder, CatalogLoader.releaseFileName)] + CatalogLoader.domainFiles(in: folder)
            releases.append(Release(
                folder: folder, release: release.releaseID, domains: release.domains.count,
                standards: release.domains.reduce(0) { $0 + $1.standards.count }, indicators: release.indicators.count,
                files: try files.map { try export($0, kind: $0.hasSuffix("/" + CatalogLoader.releaseFileName) ? "release" : "domain") }
            ))
        }
        var scopes: [File] = []
        for file in scopeFiles {
            do {
                _ = try ScopeLoader.load(file: file)
                scopes.append(try export(file, kind: "scope"))
            } catch let invalid as CatalogInvalid {
                issues += invalid.issues
            }
        }
        guard issues.isEmpty else { throw CatalogInvalid(issues: issues) }
        return Document(releases: releases, scopes: scopes)
    }

    /// Pretty-printed with sorted keys, so two exports of the same files are byte for byte equal.
    public static func json(_ document: Document) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }

    /// A file the validator accepted, parsed again the same way and converted.
    static func export(_ path: String, kind: String) throws -> File {
        let log = IssueLog()
        guard let root = CatalogLoader.parse(path, log: log) else { throw CatalogInvalid(issues: log.issues) }
        var locations: [String: String] = [:]
        let content = convert(root, pointer: "", locations: &locations)
        return File(file: path, kind: kind, content: content, locations: locations)
    }

    /// The reading `NodeReader` applies: unquoted scalars typed by `PlainReading`, everything else text.
    static func convert(_ node: Node, pointer: String, locations: inout [String: String]) -> JSONValue {
        if let mark = node.mark { locations[pointer] = "\(mark.line):\(mark.column)" }
        switch node {
        case let .scalar(scalar):
            guard NodeReader.isPlain(scalar) else { return .string(NodeReader.trimmed(scalar.string)) }
            switch PlainReading(scalar.string) {
            case .null: return .null
            case let .bool(value): return .bool(value)
            case let .decimal(text):
                if !text.contains("."), let value = Int(text) { return .integer(value) }
                if let value = Double(text), value.isFinite { return .number(value) }
                return .string(text)
            default: return .string(NodeReader.trimmed(scalar.string))
            }
        case let .mapping(mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                let name = key.scalar?.string ?? ""
                object[name] = convert(value, pointer: pointer + "/" + escape(name), locations: &locations)
            }
            return .object(object)
        case let .sequence(sequence):
            return .array(sequence.enumerated().map { convert($1, pointer: pointer + "/\($0)", locations: &locations) })
        case .alias:
            return .null
        }
    }

    /// RFC 6901: `~` and `/` inside a key.
    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

/// A JSON value, as `CatalogExport` writes it.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .integer(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { members[key] } else { nil }
    }

    /// The items of an array; empty for anything else.
    public var items: [JSONValue] {
        if case let .array(items) = self { items } else { [] }
    }
}
