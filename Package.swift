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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
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
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lienthong",
            dependencies: [
                "LienThongCore",
                "LienThongStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LienThongTesting",
            dependencies: ["LienThongCore", "LienThongStore", .product(name: "GRDB", package: "GRDB.swift")],
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
            name: "EndToEndTests",
            dependencies: ["LienThongCore", "LienThongStore", "LienThongTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
    ]
)
