import Foundation
import ImageShareCore
import Synchronization

/// Failures a test asks for through the control endpoint: the next calls of an action (for one account or
/// one image, if it says so) fail with a chosen ECS error, answer late, are throttled at a rate, or build an
/// image that ends in `CreateFailed`.
public final class FaultInjector: Sendable {
    /// What a matching call meets.
    public enum Effect: Sendable, Equatable {
        case error(ECSError)
        case delay(Duration)
        case throttle(RateLimit)
        /// The call succeeds, but the image it builds (CreateImage, CopyImage) ends in `CreateFailed`.
        case failImageBuild
    }

    /// The actions whose images a `failImageBuild` fault can break.
    public static let imageBuildingActions: Set = ["CreateImage", "CopyImage"]

    /// One rule; `remaining` nil means until cleared.
    public struct Fault: Sendable, Equatable {
        public let id: Int
        public let action: String
        public let accountId: String?
        public let imageId: String?
        public var remaining: Int?
        public let effect: Effect
        var bucket: TokenBucket?
    }

    private let faults = Mutex<(nextId: Int, list: [Fault])>((1, []))

    public init() {}

    /// Adds a rule and returns it.
    public func add(action: String, accountId: String?, imageId: String?, count: Int?, effect: Effect) -> Fault {
        faults.withLock { state in
            let fault = Fault(
                id: state.nextId, action: action, accountId: accountId, imageId: imageId, remaining: count, effect: effect)
            state.nextId += 1
            state.list.append(fault)
            return fault
        }
    }

    public var active: [Fault] { faults.withLock { $0.list } }

    public func clear() { faults.withLock { $0.list.removeAll() } }

    /// Applies the first rule this call matches: throws its error, waits its delay, or returns true when the
    /// image the call builds is to fail. Rules with a count are used up by the calls they hit and then
    /// removed; a call no rule matches is untouched. A dry run builds nothing, so it never uses up a build
    /// failure.
    func intercept(action: String, accountId: String, imageId: String?, isDryRun: Bool, now: Date) async throws -> Bool {
        let effect: Effect? = faults.withLock { state in
            guard
                let index = state.list.firstIndex(where: {
                    $0.action == action && ($0.accountId ?? accountId) == accountId
                        && ($0.imageId == nil || $0.imageId == imageId) && !(isDryRun && $0.effect == .failImageBuild)
                })
            else { return nil }
            var fault = state.list[index]
            var effect: Effect? = fault.effect
            if case let .throttle(limit) = fault.effect {
                var bucket = fault.bucket ?? .full(limit, at: now)
                if case let .refused(wait) = bucket.take(limit, now: now) {
                    effect = .error(.throttled(retryAfterMilliseconds: wait))
                } else {
                    effect = nil
                }
                fault.bucket = bucket
            }
            if let remaining = fault.remaining {
                fault.remaining = remaining - 1
            }
            if fault.remaining == 0 { state.list.remove(at: index) } else { state.list[index] = fault }
            return effect
        }
        switch effect {
        case let .error(error): throw error
        case let .delay(duration): try await Task.sleep(for: duration)
        case .failImageBuild: return true
        case .throttle, nil: break
        }
        return false
    }
}
