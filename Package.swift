// swift-tools-version: 6.0
import PackageDescription

/// Settings every Podium target shares: Swift 6 language mode (set package-wide below),
/// explicit `any` for existentials, and internal imports unless a module re-exports types.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Podium",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LibPQ", targets: ["LibPQ"]),
        .library(name: "WorkflowLanguage", targets: ["WorkflowLanguage"]),
        .library(name: "WorkflowEngine", targets: ["WorkflowEngine"]),
        .library(name: "PodiumCore", targets: ["PodiumCore"]),
        .library(name: "PodiumWorker", targets: ["PodiumWorker"]),
        .library(name: "PodiumServer", targets: ["PodiumServer"]),
        .executable(name: "podium", targets: ["podium"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "LibPQ",
            dependencies: ["CLibPQ", "CivilCalendar"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkflowLanguage",
            dependencies: [
                "CivilCalendar",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "CivilCalendar", swiftSettings: strictSettings),
        .target(
            name: "WorkflowEngine",
            dependencies: ["CivilCalendar", "WorkflowLanguage", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PodiumCore",
            dependencies: [
                "LibPQ",
                "WorkflowLanguage",
                "WorkflowEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PodiumWorker",
            dependencies: [
                "LibPQ", "PodiumCore", "WorkflowEngine", "WorkflowLanguage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PodiumServer",
            dependencies: [
                "LibPQ", "PodiumCore", "PodiumWorker", "WorkflowEngine", "WorkflowLanguage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Web/Templates"), .copy("Web/Static")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "podium",
            dependencies: [
                "PodiumServer",
                "PodiumWorker",
                "PodiumCore",
                "LibPQ",
                "WorkflowLanguage",
                "WorkflowEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "podium-fuzz",
            dependencies: ["LibPQ", "PodiumCore", "WorkflowEngine", "WorkflowLanguage"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "podium-bench",
            dependencies: ["LibPQ", "PodiumCore", "WorkflowLanguage", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PodiumTestSupport",
            dependencies: ["LibPQ", "PodiumCore", "WorkflowLanguage"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LibPQTests",
            dependencies: ["LibPQ", "PodiumTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkflowLanguageTests",
            dependencies: ["WorkflowLanguage"],
            resources: [.copy("Malformed")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkflowEngineTests",
            dependencies: ["WorkflowEngine", "WorkflowLanguage", "PodiumTestSupport"],
            resources: [.copy("Oracle")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PodiumCoreTests",
            dependencies: ["PodiumCore", "LibPQ", "WorkflowLanguage", "PodiumTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PodiumWorkerTests",
            dependencies: [
                "PodiumWorker", "PodiumCore", "LibPQ", "WorkflowEngine", "WorkflowLanguage", "PodiumTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PodiumServerTests",
            dependencies: [
                "PodiumServer", "PodiumCore", "PodiumWorker", "WorkflowEngine", "LibPQ", "PodiumTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PodiumCLITests",
            dependencies: ["podium", "LibPQ", "PodiumTestSupport"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
