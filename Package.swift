// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "apex",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "apex", targets: ["apex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        // Pure domain: catalog model, applicability, (later) workflow tables and policy. No I/O.
        .target(name: "AccreditationCore", swiftSettings: strict),
        // Catalog files: YAML loading with source locations, validation, diff, content hash.
        .target(
            name: "StandardsCatalog",
            dependencies: [
                "AccreditationCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Runs a private PostgreSQL cluster (initdb, pg_ctl) for `apex serve` and for tests.
        .target(
            name: "EmbeddedPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // postgres-nio: connection settings, migrations, repositories.
        .target(
            name: "Persistence",
            dependencies: [
                "AccreditationCore",
                "StandardsCatalog",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: strict
        ),
        // Use cases: queries and commands that take the caller's identity and typed inputs and return typed
        // read models or domain errors. Shared by the API and the web pages; no HTTP here (no Hummingbird).
        .target(
            name: "UseCases",
            dependencies: ["AccreditationCore", "Persistence", .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The OpenAPI document (the API's source of truth) and the code generated from it, nothing else.
        .target(
            name: "APIDefinition",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strict,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // Hummingbird wiring: configuration, services, middleware, routes.
        .target(
            name: "Server",
            dependencies: [
                "AccreditationCore",
                "StandardsCatalog",
                "Persistence",
                "UseCases",
                "EmbeddedPostgres",
                "APIDefinition",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Page templates (mustache) and the stylesheet and script the pages load.
            resources: [.copy("Web/Templates"), .copy("Web/Assets")],
            swiftSettings: strict
        ),
        // Thin executable: argument parsing only.
        .executableTarget(
            name: "apex",
            dependencies: [
                "Server", "StandardsCatalog", "AccreditationCore", "Persistence",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks (scripts/bench-workflow): not shipped, measured against pgbench and sha256sum.
        .executableTarget(
            name: "apex-bench",
            dependencies: [
                "Persistence", "EmbeddedPostgres", "AccreditationCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/apex-bench",
            swiftSettings: strict
        ),
        // Shared by the test targets: one ephemeral cluster per test run, a template clone per test.
        .target(
            name: "TestSupport",
            dependencies: ["EmbeddedPostgres", "Persistence", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "AccreditationCoreTests", dependencies: ["AccreditationCore"], swiftSettings: strict),
        .testTarget(
            name: "StandardsCatalogTests",
            dependencies: ["StandardsCatalog", "TestSupport", "Persistence"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PersistenceTests",
            dependencies: ["Persistence", "TestSupport", "EmbeddedPostgres", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "TestSupport", "apex", "Persistence", "UseCases", "APIDefinition",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
    ]
)
