// swift-tools-version: 6.2
//
// kp-bench: a reproducible performance harness for the kplane apiserver.
// Imports point downward only: tools -> one library per tool (KPLaunch, KPBootstrap, KPScrape, KPLoad,
// KPReport) -> KPCLI and concern libraries (KPHTTP, KPStats -> KPPromText, KPPprof) -> KPRecords -> KPCore.
// KPCore (Foundation only) holds what every layer shares: exit codes and error types, the duration
// grammar, cluster names, the atomic file write. Each tool library owns its tool's option group (an
// ArgumentParser `ParsableArguments` with its own validate()), so kp-run checks a step's arguments
// with the tool's own rules; KPCLI holds the option types the tools share. Only the tools install
// signal handlers. KPSim imports KPCore, KPPromText and KPPprof, never KPHTTP or the tool
// libraries, so a client bug cannot be hidden by the same bug in the server.
// Each target declares exactly the modules its sources import.
import PackageDescription

let package = Package(
    name: "kp-bench",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KPRecords", targets: ["KPRecords"]),
        .executable(name: "kp-launch", targets: ["kp-launch"]),
        .executable(name: "kp-bootstrap", targets: ["kp-bootstrap"]),
        .executable(name: "kp-load", targets: ["kp-load"]),
        .executable(name: "kp-scrape", targets: ["kp-scrape"]),
        .executable(name: "kp-report", targets: ["kp-report"]),
        .executable(name: "kp-sim", targets: ["kp-sim"]),
        .executable(name: "kp-httpbench", targets: ["kp-httpbench"]),
        .executable(name: "kp-run", targets: ["kp-run"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    ],
    targets: [
        // MARK: - C modules
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // MARK: - Libraries
        .target(name: "KPCore"),
        .target(name: "KPRecords", dependencies: ["KPCore"]),
        .target(name: "KPHTTP", dependencies: ["CCurl", "KPCore", "KPRecords"]),
        .target(name: "KPPromText"),
        .target(
            name: "KPStats",
            dependencies: ["KPRecords", "KPPromText", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .target(
            name: "KPPprof",
            dependencies: ["CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(
            name: "KPSim",
            dependencies: [
                "KPCore", "KPPromText", "KPPprof",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // One library per tool, so a tool's code builds and tests on its own; executables stay thin.
        .target(
            name: "KPCLI",
            dependencies: [
                "KPCore", "KPRecords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "KPLaunch",
            dependencies: [
                "KPCore", "KPRecords", "KPHTTP", "KPCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "KPBootstrap",
            dependencies: [
                "KPCore", "KPRecords", "KPHTTP", "KPCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "KPScrape",
            dependencies: [
                "KPCore", "KPRecords", "KPHTTP", "KPPromText", "KPPprof", "KPCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "KPLoad",
            dependencies: [
                "KPCore", "KPRecords", "KPHTTP", "KPStats", "KPRunModel", "KPCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "KPReport",
            dependencies: [
                "KPCore", "KPRecords", "KPStats", "KPPprof", "KPRunModel", "KPCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),  // compare's thresholds file
            ]),

        // The run model: each scenario's steps, samples and files, and the run directory's layout.
        // KPRun executes it, KPReport folds what it says a run holds, kp-load checks --scenario with it.
        .target(name: "KPRunModel"),
        // The orchestrator: sequences the tools, reads their exit codes and records (no ArgumentParser).
        .target(name: "KPRun", dependencies: ["KPCore", "KPRecords", "KPRunModel"]),

        // MARK: - Tools
        .executableTarget(
            name: "kp-launch",
            dependencies: [
                "KPCLI", "KPLaunch", "KPRecords", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "kp-bootstrap",
            dependencies: [
                "KPCLI", "KPBootstrap", "KPHTTP", "KPRecords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "kp-load",
            dependencies: [
                "KPCLI", "KPLoad", "KPHTTP", "KPRecords", "KPStats", "KPRunModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "kp-scrape",
            dependencies: [
                "KPCLI", "KPScrape", "KPHTTP", "KPRecords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "kp-report",
            dependencies: [
                "KPCLI", "KPReport", "KPRecords", "KPRunModel", .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "kp-run",
            dependencies: [
                "KPCLI", "KPRun", "KPRunModel", "KPBootstrap", "KPLoad", "KPReport", "KPLaunch", "KPScrape",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "kp-sim",
            dependencies: ["KPCore", "KPSim", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "kp-httpbench",
            dependencies: [
                "KPCLI", "KPHTTP", "KPRecords", "KPPromText", "CCurl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Tests
        // Test helpers shared by several test targets (kp-sim child process, built-tool lookup, fuzz input,
        // the in-memory HTTP transport).
        .target(
            name: "KPTestSupport",
            dependencies: ["KPCore", "KPHTTP", "KPRecords", "KPLaunch"],
            path: "Tests/KPTestSupport"),
        .testTarget(
            name: "KPRecordsTests", dependencies: ["KPRecords", "KPTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KPCoreTests", dependencies: ["KPCore"]),
        .testTarget(name: "KPHTTPTests", dependencies: ["KPCore", "KPHTTP", "KPRecords", "KPTestSupport"]),
        .testTarget(
            name: "KPPromTextTests", dependencies: ["KPPromText", "KPTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KPStatsTests", dependencies: ["KPStats", "KPRecords"]),
        .testTarget(
            name: "KPPprofTests",
            dependencies: ["KPPprof", "KPTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "KPSimTests",
            dependencies: [
                "KPSim", "KPPromText", "KPPprof", "KPTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "KPLaunchTests",
            dependencies: [
                "KPLaunch", "KPRecords", "KPCLI", "KPTestSupport", .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures/fake-docker"]),  // run in place by the docker-mode tests (found via #filePath)
        .testTarget(
            name: "KPBootstrapTests",
            dependencies: [
                "KPBootstrap", "KPCLI", "KPCore", "KPRecords", "KPHTTP", "KPTestSupport",
            ]),
        .testTarget(
            name: "KPScrapeTests",
            dependencies: [
                "KPCore", "KPCLI", "KPScrape", "KPRecords", "KPHTTP", "KPPprof", "KPLaunch", "KPTestSupport",
            ]),
        .testTarget(
            name: "KPLoadTests",
            dependencies: [
                "KPCore", "KPLoad", "KPBootstrap", "KPRecords", "KPStats", "KPHTTP", "KPReport", "KPRunModel",
                "KPTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "KPReportTests",
            dependencies: [
                "KPReport", "KPRecords", "KPStats", "KPPprof", "KPRunModel", "KPCore", "KPCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "KPRunTests", dependencies: ["KPCore", "KPRun", "KPRunModel", "KPRecords"]),
        // Runs the built tools as a user would (help text, bad input, end-to-end runs on kp-sim).
        .testTarget(
            name: "CLITests", dependencies: ["KPRecords", "KPPprof", "KPRun", "KPRunModel", "KPTestSupport"]),
    ]
)
