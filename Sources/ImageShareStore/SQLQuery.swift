/// A WHERE clause assembled from optional criteria, with its bind arguments in order.
struct WhereClause {
    private(set) var conditions: [String] = []
    private(set) var arguments: [SQLValue] = []

    mutating func add(_ condition: String, _ values: [any SQLBindable] = []) {
        conditions.append(condition)
        arguments += values.map(\.sqlValue)
    }

    /// `column IN (?, ?, …)`; an empty list matches nothing.
    mutating func add(_ column: String, in values: [String]) {
        guard !values.isEmpty else {
            conditions.append("1 = 0")
            return
        }
        add("\(column) IN (\(placeholders(values.count)))", values)
    }

    var sql: String { conditions.isEmpty ? "1 = 1" : conditions.joined(separator: " AND ") }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern that uses `ESCAPE '\'`.
func likeEscaped(_ text: String) -> String {
    var output = ""
    for character in text {
        if character == "%" || character == "_" || character == "\\" { output.append("\\") }
        output.append(character)
    }
    return output
}

/// `?, ?, …` for `count` values.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}

extension WhereClause {
    /// One page of `table`'s rows matching this clause, newest first, and how many match in all.
    func page(of table: String, in db: any SQLSession, offset: Int, limit: Int) throws -> (rows: [SQLRow], totalCount: Int) {
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(sql)", arguments: arguments) ?? 0
        let rows = try SQLRow.fetchAll(
            db, sql: "SELECT * FROM \(table) WHERE \(sql) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            arguments: arguments + [limit.sqlValue, offset.sqlValue])
        return (rows, total)
    }
}
