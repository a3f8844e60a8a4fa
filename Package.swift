// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        .executable(name: "ferry-conformance", targets: ["ferry-conformance"]),
        .executable(name: "ferry-wire", targets: ["ferry-wire"]),
        .executable(name: "ferry-bench", targets: ["ferry-bench"]),
        .library(name: "Wire", targets: ["Wire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(
            name: "CNghttp2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]),
        .target(
            name: "CEtcdProto", dependencies: ["CProtobufC"],
            cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Wire", dependencies: ["CEtcdProto", "CProtobufC"]),
        .target(name: "Raft", dependencies: ["Wire"]),
        .target(name: "KV", dependencies: ["Wire"]),
        .target(name: "Storage", dependencies: ["Raft", "Wire"]),
        .target(
            name: "HTTP2",
            dependencies: ["CNghttp2", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .target(
            name: "Transport",
            dependencies: ["HTTP2", "Wire", .product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "GRPC",
            dependencies: ["HTTP2", "Wire", .product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "Capture", dependencies: ["Wire", "HTTP2"]),
        .target(
            name: "Gateway",
            dependencies: [
                "GRPC", "HTTP2", "Wire", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .target(
            name: "Server",
            dependencies: [
                "Raft", "Storage", "Transport", "KV", "GRPC", "Gateway", "HTTP2", "Wire",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "ferry",
            dependencies: ["Server", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")]),
        .target(name: "Conformance", dependencies: ["Capture", "GRPC", "KV", "Raft", "Storage", "Wire", .product(name: "NIOPosix", package: "swift-nio")]),
        .executableTarget(
            name: "ferry-wire",
            dependencies: ["Capture", "Conformance", "KV", "Server", "Storage", "Wire", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "ferry-conformance",
            dependencies: ["Conformance", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "ferry-bench",
            dependencies: [
                "KV", "Wire", "Storage", "Transport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Raft", "Wire"]),
        .testTarget(name: "RaftTests", dependencies: ["Raft", "Wire"]),
        .testTarget(name: "KVTests", dependencies: ["KV", "Wire"]),
        .testTarget(
            name: "HTTP2Tests",
            dependencies: ["TestSupport", "HTTP2", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(
            name: "TransportTests",
            dependencies: ["TestSupport", "Transport", "HTTP2", "Wire", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(
            name: "GRPCTests",
            dependencies: ["TestSupport", "GRPC", "HTTP2", "KV", "Wire", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "TestSupport", "Server", "Gateway", "GRPC", "HTTP2", "KV", "Storage", "Wire", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Wire", .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "ConformanceTests", dependencies: ["Conformance", "TestSupport", "Wire"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Wire"], exclude: ["Fixtures"]),
        .testTarget(name: "FerryWireTests", dependencies: ["ferry-wire", "Wire"]),
    ],
    swiftLanguageModes: [.v6]
)
