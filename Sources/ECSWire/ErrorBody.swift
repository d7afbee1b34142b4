import ImageShareCore

/// The body ECS sends with every error: `{"RequestId","HostId","Code","Message","Recommend"}`.
public enum ErrorBody {
    public static func value(for error: ECSError, requestId: String, hostId: String) -> WireValue {
        .object([
            ("RequestId", .string(requestId)),
            ("HostId", .string(hostId)),
            ("Code", .string(error.code)),
            ("Message", .string(error.message)),
            ("Recommend", .string("https://api.aliyun.com/troubleshoot?q=\(error.code)&product=Ecs&requestId=\(requestId)")),
        ])
    }

    /// The rendered body; XML errors use the root element `Error`.
    public static func render(_ error: ECSError, requestId: String, hostId: String, format: ResponseFormat) -> [UInt8] {
        format.render(value(for: error, requestId: requestId, hostId: hostId), root: "Error")
    }
}
