import Foundation

/// A value bound to or read from SQL, in the few shapes both engines share.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob(Data)
}

/// A Swift value that can be bound as a statement argument.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Substring: SQLBindable { public var sqlValue: SQLValue { .text(String(self)) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
/// Booleans are stored as 0/1 on every engine.
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Data: SQLBindable { public var sqlValue: SQLValue { .blob(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// A value that can be read from a column.
public protocol SQLDecodable {
    init(sqlValue: SQLValue, column: String) throws
}

/// A column held something the store did not write: a corrupt or foreign database.
public struct SQLDecodingError: Error, CustomStringConvertible {
    public let column: String
    public let value: SQLValue
    public var description: String { "unexpected value \(value) in column \(column)" }
}

extension String: SQLDecodable {
    public init(sqlValue: SQLValue, column: String) throws {
        guard case let .text(text) = sqlValue else { throw SQLDecodingError(column: column, value: sqlValue) }
        self = text
    }
}

extension Int64: SQLDecodable {
    public init(sqlValue: SQLValue, column: String) throws {
        guard case let .integer(number) = sqlValue else { throw SQLDecodingError(column: column, value: sqlValue) }
        self = number
    }
}

extension Int: SQLDecodable {
    public init(sqlValue: SQLValue, column: String) throws {
        self = Int(try Int64(sqlValue: sqlValue, column: column))
    }
}

extension Bool: SQLDecodable {
    public init(sqlValue: SQLValue, column: String) throws {
        self = try Int64(sqlValue: sqlValue, column: column) != 0
    }
}

extension Data: SQLDecodable {
    public init(sqlValue: SQLValue, column: String) throws {
        guard case let .blob(data) = sqlValue else { throw SQLDecodingError(column: column, value: sqlValue) }
        self = data
    }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    public init(sqlValue: SQLValue, column: String) throws {
        self = sqlValue == .null ? nil : try Wrapped(sqlValue: sqlValue, column: column)
    }
}

/// The column names of one result set, shared by all its rows, with each name's position.
public final class SQLColumns: Sendable {
    let names: [String]
    private let positions: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        // A name selected twice reads as its first occurrence, like a linear search would.
        positions = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    func position(of name: String) -> Int? { positions[name] }
}

/// One result row: values in select order, and the result set's columns.
public struct SQLRow: Sendable {
    private let columns: SQLColumns
    private let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The column's value as `T`; a missing column reads as NULL.
    public func get<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let value = columns.position(of: column).map { values[$0] } ?? .null
        return try T(sqlValue: value, column: column)
    }

    /// The column names in select order.
    public var columnNames: [String] { columns.names }

    /// Every value in select order.
    public var allValues: [SQLValue] { values }

    /// The first column's value (COUNT, EXISTS, a single field).
    public func first<T: SQLDecodable>(as type: T.Type = T.self) throws -> T {
        try T(sqlValue: values.first ?? .null, column: columns.names.first ?? "?")
    }
}
