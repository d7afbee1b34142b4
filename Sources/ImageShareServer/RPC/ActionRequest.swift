import ECSWire
import Foundation
import ImageShareCore

/// One authenticated RPC call as an action handler sees it.
public struct ActionRequest: Sendable {
    public let action: String
    public let parameters: ParameterBag
    public let caller: Caller
    public let requestId: String
    public let now: Date
    /// Whether an image this call builds (CreateImage, CopyImage) is to end in `CreateFailed`: an injected fault.
    public var imageBuildFails = false
}

/// An action's implementation: validated parameters in, the response body (without `RequestId`) out.
public typealias ActionHandler = @Sendable (ActionRequest) async throws -> [(String, WireValue)]

/// The actions the endpoint answers, by their wire name.
public struct ActionRegistry: Sendable {
    private var handlers: [String: ActionHandler] = [:]

    public init() {}

    public mutating func register(_ action: String, _ handler: @escaping ActionHandler) {
        handlers[action] = handler
    }

    public func handler(for action: String) -> ActionHandler? { handlers[action] }
}
