/// Runs `body` for every item at once; whether each returned true without throwing.
public func concurrently<Item: Hashable & Sendable>(
    _ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Bool
) async -> [Item: Bool] {
    await withTaskGroup(of: (Item, Bool).self) { group in
        for item in items { group.addTask { (item, (try? await body(item)) ?? false) } }
        return await group.reduce(into: [Item: Bool]()) { $0[$1.0] = $1.1 }
    }
}
