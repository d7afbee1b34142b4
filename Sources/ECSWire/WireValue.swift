/// A response body as a tree, rendered to JSON or XML by the same rules for every action.
///
/// Objects keep member order, so responses read like Alibaba's samples.
public indirect enum WireValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case object([(String, WireValue)])
    /// In JSON an array; in XML one element per item, each named like the member holding the array.
    case array([WireValue])

    public static func == (lhs: WireValue, rhs: WireValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// ECS's doubly wrapped collection: `{"Images": {"Image": [...]}}` is `.collection("Image", items)`
    /// stored under the `Images` key. The inner member is an array even for zero or one element.
    public static func collection(_ itemName: String, _ items: [WireValue]) -> WireValue {
        .object([(itemName, .array(items))])
    }
}
