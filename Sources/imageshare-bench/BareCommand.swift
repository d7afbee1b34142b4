import ArgumentParser
import Hummingbird
import Logging

/// `imageshare-bench bare`: a Hummingbird handler returning a fixed JSON body, the ceiling on this machine.
struct BareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare", abstract: "Serve a fixed JSON body at / (GET and POST): the framework's own ceiling.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090

    func run() async throws {
        // About the size of a small ECS answer, so the ceiling pays the same bytes on the wire.
        let body = #"{"RequestId":"5E0D5D4A-0000-4000-8000-000000000000","Regions":{"Region":[{"RegionId":"cn-hangzhou","LocalName":"China (Hangzhou)","RegionEndpoint":"ecs.cn-hangzhou.aliyuncs.com","Status":"available"}]}}"#
        let router = Router()
        router.get("/") { _, _ in Response(status: .ok, headers: [.contentType: "application/json;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body))) }
        router.post("/") { _, _ in Response(status: .ok, headers: [.contentType: "application/json;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body))) }
        var logger = Logger(label: "bare")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await app.runService()
    }
}
