// swift-tools-version:6.1
import PackageDescription

import class Foundation.ProcessInfo

let package = Package(
    name: "ImageShare",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "imageshare", targets: ["imageshare"]),
        .executable(name: "imageshare-bench", targets: ["imageshare-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The domain: accounts, regions, images and their rules. Foundation only.
        .target(name: "ImageShareCore"),
        // V2 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256) request signatures: pure functions.
        .target(
            name: "ECSSignature",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The ECS RPC wire format: parameter bag, request decoding, JSON/XML responses, error bodies.
        .target(name: "ECSWire", dependencies: ["ImageShareCore"]),
        // The store: one SQL implementation of the ports, on SQLite (GRDB) or PostgreSQL (postgres-nio).
        .target(
            name: "ImageShareStore",
            dependencies: [
                "ImageShareCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Hummingbird application: RPC endpoint, web console, health, readiness and metrics, connection guards, TLS.
        .target(
            name: "ImageShareServer",
            dependencies: [
                "ImageShareCore", "ECSSignature", "ECSWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // The console's templates, stylesheet and script are compiled into the binary: nothing to install
            // beside it, nothing fetched from elsewhere.
            resources: [
                .embedInCode("Console/Templates/layout.mustache"),
                .embedInCode("Console/Templates/sign-in.mustache"),
                .embedInCode("Console/Templates/images.mustache"),
                .embedInCode("Console/Templates/pager.mustache"),
                .embedInCode("Console/Templates/share.mustache"),
                .embedInCode("Console/Templates/image-form.mustache"),
                .embedInCode("Console/Templates/image-picker.mustache"),
                .embedInCode("Console/Templates/instances.mustache"),
                .embedInCode("Console/Templates/snapshots.mustache"),
                .embedInCode("Console/Templates/security.mustache"),
                .embedInCode("Console/Templates/message.mustache"),
                .embedInCode("Console/Assets/console.css"),
                .embedInCode("Console/Assets/console.js"),
            ]
        ),
        .executableTarget(
            name: "imageshare",
            dependencies: [
                "ImageShareServer", "ImageShareStore", "ImageShareCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // bench/run's tools: the bare ceiling server, the data generator and the request pre-signer.
        .executableTarget(
            name: "imageshare-bench",
            dependencies: [
                "ImageShareStore", "ImageShareCore", "ECSSignature", "ECSWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ImageShareCoreTests", dependencies: ["ImageShareCore"]),
        .testTarget(name: "ECSSignatureTests", dependencies: ["ECSSignature"]),
        .testTarget(name: "ECSWireTests", dependencies: ["ECSWire", "ImageShareCore"]),
        // Fresh stores on either engine for the store and HTTP test suites.
        .target(
            name: "ImageShareTestSupport",
            dependencies: [
                "ImageShareStore",
                "ImageShareCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ImageShareTestSupport"
        ),
        .testTarget(name: "ImageShareStoreTests", dependencies: ["ImageShareStore", "ImageShareCore", "ImageShareTestSupport"]),
        .testTarget(
            name: "ImageShareServerTests",
            dependencies: [
                "ImageShareServer", "ImageShareStore", "ImageShareCore", "ECSSignature", "ImageShareTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Micro-benchmarks (ordo-one/benchmark) of the per-request decoding and signature work, with allocation
// counts. Only with IMAGESHARE_MICRO_BENCHMARKS set, so that ordinary builds and CI neither resolve nor build
// the benchmark package: `bench/micro` runs them.
if ProcessInfo.processInfo.environment["IMAGESHARE_MICRO_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "RequestDecoding",
            dependencies: [
                "ECSSignature", "ECSWire",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RequestDecoding",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}

// libFuzzer targets (Fuzz/) of what reads hostile input before authentication and what writes every answer:
// form decoding and the parameter bag, the V2 and V3 signature code, timestamps, the JSON and XML renderers.
// Only with IMAGESHARE_FUZZ set: `fuzz/run` builds them with `--sanitize=fuzzer --sanitize=address`.
if ProcessInfo.processInfo.environment["IMAGESHARE_FUZZ"] != nil {
    for (name, dependencies) in [
        ("FuzzRequestDecoding", ["ECSWire", "ECSSignature"]), ("FuzzSignatures", ["ECSSignature", "ECSWire"]),
        ("FuzzTimestamp", ["ECSWire"]), ("FuzzRenderers", ["ECSWire"]),
    ] {
        package.targets.append(
            .executableTarget(
                name: name, dependencies: dependencies.map { .target(name: $0) }, path: "Fuzz/\(name)"))
    }
}
