import ECSWire
import ImageShareCore

/// How Describe calls treat the filters ECS documents: each one filters, or is refused; none is ignored.
///
/// Many filters ask about things every resource here has the same value for (every instance is I/O
/// optimised, no disk is encrypted, nothing belongs to a resource group or carries a lock). Those are
/// answered exactly: the value every resource has matches all of them, any other value matches none.
extension ParameterBag {
    /// A text filter on a value every resource here shares: true when absent or equal (ignoring case),
    /// false when given with another of its `allowed` values; `InvalidParameter` for anything else.
    func sharedValueMatches(_ name: String, _ shared: String, allowed: [String]) throws(ECSError) -> Bool {
        guard let value = try oneOf(name, allowed) else { return true }
        return value.lowercased() == shared.lowercased()
    }

    /// A boolean filter on a value every resource here shares.
    func sharedValueMatches(_ name: String, _ shared: Bool) throws(ECSError) -> Bool {
        guard let value = try bool(name) else { return true }
        return value == shared
    }

    /// Whether any of these filters is given: each names something no resource here has (an EIP, a lock, a
    /// resource group, a dedicated cluster), so any value matches nothing. Names ending in `.` are prefixes
    /// of indexed parameters.
    func anyGiven(_ names: [String]) -> Bool {
        names.contains { $0.hasSuffix(".") ? hasValue(withPrefix: $0) : string($0) != nil }
    }

    /// Refuses documented parameters this server does not implement, naming the first one given.
    func refuseUnsupported(_ names: [String]) throws(ECSError) {
        for name in names where name.hasSuffix(".") ? hasValue(withPrefix: name) : string(name) != nil {
            throw .unsupportedParameter(name.hasSuffix(".") ? name + "N" : name)
        }
    }
}
