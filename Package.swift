// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"])
]

let package = Package(
    name: "glance-replicator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "glance-replicator", targets: ["glance-replicator"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "CatalogDiff",
            swiftSettings: strict
        ),
        // The OpenStack APIs the tool speaks: Glance v2, Keystone v3, clouds.yaml. Knows nothing of runs,
        // spools or journals; `package` access to the engine.
        .target(
            name: "OpenStackAPI",
            dependencies: [
                "CatalogDiff",
                "CLibCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SyncEngine",
            dependencies: [
                "CatalogDiff",
                "OpenStackAPI",
                "CLibCrypto",
                "CSQLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "glance-replicator",
            dependencies: [
                "CMalloc",
                "CatalogDiff",
                "SyncEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CatalogDiffTests",
            dependencies: ["CatalogDiff"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SyncEngineTests",
            dependencies: [
                "SyncEngine",
                "OpenStackAPI",
                "CatalogDiff",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // The OpenStack API clients without a run: clouds.yaml, Keystone's token bodies and catalogs (real Keystone
        // 30 answers in Tests/Fixtures/keystone), Glance's error bodies and member paths.
        .testTarget(
            name: "OpenStackAPITests",
            dependencies: [
                "OpenStackAPI",
                "CatalogDiff",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // What the CLI and live-region suites share: running the built binary, scratch folders, the fault
        // proxy, the real regions' test client and the "needs real servers" trait. Not a product.
        .target(
            name: "TestSupport",
            path: "Tests/Support",
            swiftSettings: strict
        ),
        // The built binary where no server is needed: usage, help, job files, dumps, locks, TLS, deploy/.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "glance-replicator", "CatalogDiff", "TestSupport", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // The built binary against the real Glance regions, Keystone and the old Glance of scripts/test.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["glance-replicator", "TestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
