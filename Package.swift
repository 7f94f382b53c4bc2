// swift-tools-version:6.1
import PackageDescription

/// Settings every LienThong target shares: Swift 6 language mode (set by the tools version) and
/// upcoming features that make the code read the same in every module.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "LienThong",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lienthong", targets: ["lienthong"]),
        .library(name: "LienThongCore", targets: ["LienThongCore"]),
        .library(name: "LienThongStore", targets: ["LienThongStore"]),
        .library(name: "LienThongWire", targets: ["LienThongWire"]),
        .library(name: "LienThongSync", targets: ["LienThongSync"]),
        .library(name: "LienThongHub", targets: ["LienThongHub"]),
        .library(name: "LienThongLocalAPI", targets: ["LienThongLocalAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", exact: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", exact: "1.1.4"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
    ],
    targets: [
        .target(
            name: "LienThongCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongStore",
            dependencies: [
                "LienThongCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongWire",
            dependencies: [
                "LienThongCore",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongSync",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongHTTP",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongHub",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongWire", "LienThongHTTP",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongLocalAPI",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lienthong",
            dependencies: [
                "LienThongCore",
                "LienThongStore",
                "LienThongWire",
                "LienThongSync",
                "LienThongHub",
                "LienThongLocalAPI",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongTesting",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongWire", "LienThongSync", "LienThongHub",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lienthong-bench",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongWire", "LienThongSync", "LienThongHub", "LienThongLocalAPI", "LienThongTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lienthong-chaos",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongTesting", "LienThongWire", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongFuzz",
            dependencies: ["LienThongCore", "LienThongWire"],
            swiftSettings: swiftSettings
        ),
        // Built with libFuzzer only by Scripts/fuzz.sh (a build of its own); in every other build it
        // writes seeds and replays inputs.
        .executableTarget(
            name: "lienthong-fuzz",
            dependencies: ["LienThongFuzz"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lienthong-sim",
            dependencies: ["LienThongCore", "LienThongTesting", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LienThongCoreTests",
            dependencies: ["LienThongCore", "LienThongTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LienThongStoreTests",
            dependencies: ["LienThongCore", "LienThongStore", "LienThongTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LienThongHubTests",
            dependencies: [
                "LienThongCore", "LienThongStore", "LienThongWire", "LienThongSync", "LienThongHub", "LienThongTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LienThongSyncTests",
            dependencies: ["LienThongSync", "LienThongWire"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LienThongFuzzTests",
            dependencies: ["LienThongCore", "LienThongWire", "LienThongFuzz"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["LienThongCore", "LienThongStore", "LienThongSync", "LienThongHub", "LienThongLocalAPI", "LienThongTesting",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
    ]
)
