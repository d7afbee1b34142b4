import ImageShareCore

/// The body ECS sends with every error: `{"RequestId","HostId","Code","Message","Recommend"}`.
public enum ErrorBody {
    public static func value(for error: ECSError, requestId: String, hostId: String) -> WireValue {
        .object([
            ("RequestId", .string(requestId)),
            ("HostId", .string(hostId)),
            ("Code", .string(error.code)),
            ("Message", .string(error.message)),
            ("Recommend", .string(documentation(of: error.code))),
        ])
    }

    /// Where ImageShare documents the code: its section of docs/errors.md. (ECS links its own troubleshooter,
    /// which knows nothing of a local RequestId.)
    public static func documentation(of code: String) -> String {
        let anchor = code.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        return "docs/errors.md#" + String(String.UnicodeScalarView(anchor))
    }

    /// The rendered body; XML errors use the root element `Error`.
    public static func render(_ error: ECSError, requestId: String, hostId: String, format: ResponseFormat) -> [UInt8] {
        format.render(value(for: error, requestId: requestId, hostId: hostId), root: "Error")
    }
}
