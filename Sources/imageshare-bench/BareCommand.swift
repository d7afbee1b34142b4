import ArgumentParser
import Hummingbird
import Logging

/// `imageshare-bench bare`: a Hummingbird handler returning a fixed JSON body, the ceiling on this machine
/// (with `--body-bytes`, for answers of a given size).
struct BareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare", abstract: "Serve a fixed JSON body at / (GET and POST): the framework's own ceiling.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090
    @Option(help: "Answer a JSON body of exactly this many bytes (default: a small DescribeRegions-sized answer).")
    var bodyBytes: Int?

    func validate() throws {
        if let bodyBytes, !(64...(64 << 20)).contains(bodyBytes) { throw ValidationError("--body-bytes must be 64 to 67108864") }
    }

    func run() async throws {
        // About the size of a small ECS answer, so the ceiling pays the same bytes on the wire.
        let small = #"{"RequestId":"5E0D5D4A-0000-4000-8000-000000000000","Regions":{"Region":[{"RegionId":"cn-hangzhou","LocalName":"China (Hangzhou)","RegionEndpoint":"ecs.cn-hangzhou.aliyuncs.com","Status":"available"}]}}"#
        let body = bodyBytes.map(Self.padded) ?? small
        let router = Router()
        router.get("/") { _, _ in Response(status: .ok, headers: [.contentType: "application/json;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body))) }
        router.post("/") { _, _ in Response(status: .ok, headers: [.contentType: "application/json;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body))) }
        var logger = Logger(label: "bare")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await app.runService()
    }

    /// A JSON object of exactly `size` bytes: a RequestId and padding.
    static func padded(_ size: Int) -> String {
        let head = #"{"RequestId":"5E0D5D4A-0000-4000-8000-000000000000","Padding":""#
        return head + String(repeating: "x", count: max(0, size - head.utf8.count - 2)) + #""}"#
    }
}
