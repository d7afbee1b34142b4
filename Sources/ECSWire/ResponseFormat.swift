import ImageShareCore

/// The body encoding a client asked for with `Format`.
public enum ResponseFormat: Sendable {
    case json, xml

    /// JSON when `Format` is absent: V3 requests never send it and always parse JSON.
    public init(parameter: String?) throws(ECSError) {
        switch parameter?.lowercased() {
        case nil, "", "json": self = .json
        case "xml": self = .xml
        default: throw .invalidParameter("Format", "must be JSON or XML")
        }
    }

    /// The new SDK parses an XML error body only when the content type is exactly this string.
    public var contentType: String {
        switch self {
        case .json: "application/json;charset=utf-8"
        case .xml: "text/xml;charset=utf-8"
        }
    }

    /// Renders `value` as UTF-8; XML needs the root element's name (`DescribeImagesResponse`, `Error`).
    public func render(_ value: WireValue, root: String, order: MemberOrder = .declared) -> [UInt8] {
        switch self {
        case .json: JSONRenderer.render(value, order: order)
        case .xml: XMLRenderer.render(value, root: root, order: order)
        }
    }
}

/// The order an object's members are written in.
public enum MemberOrder: Sendable {
    /// As the value lists them (error bodies, which ECS's gateway writes in a fixed order).
    case declared
    /// As ECS's service answers: the iteration order of a Java `HashMap` (see `JavaHashMapOrder`).
    case javaHashMap

    /// The positions of `members` in writing order.
    public func positions(of members: [(String, WireValue)]) -> [Int] {
        switch self {
        case .declared: Array(members.indices)
        case .javaHashMap: JavaHashMapOrder.permutation(of: members.map(\.0))
        }
    }
}
