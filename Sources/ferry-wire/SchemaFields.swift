import Wire

/// The fields of a `WireSchema` by number. Wire keeps its lookup internal, so the tables are
/// read through reflection of the schema's stored `direct` and `others` properties.
enum SchemaFields {
    static func table(_ schema: WireSchema) -> [Int32: WireField] {
        var table: [Int32: WireField] = [:]
        for child in Mirror(reflecting: schema).children {
            if let direct = child.value as? [WireField?] {
                for case let field? in direct { table[field.number] = field }
            } else if let others = child.value as? [Int32: WireField] {
                table.merge(others) { a, _ in a }
            }
        }
        return table
    }
}
