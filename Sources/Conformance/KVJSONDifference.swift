import Wire

/// The first place two JSON values differ, as a path and both sides.
enum JSONDifference {
    static func first(_ expected: JSONValue, _ actual: JSONValue, path: String = "") -> String? {
        switch (expected, actual) {
        case let (.object(e), .object(a)):
            let left = Dictionary(e, uniquingKeysWith: { x, _ in x })
            let right = Dictionary(a, uniquingKeysWith: { x, _ in x })
            for key in Set(left.keys).union(right.keys).sorted() {
                let p = path.isEmpty ? key : "\(path).\(key)"
                guard let l = left[key] else { return "\(p): unexpected \(right[key]!)" }
                guard let r = right[key] else { return "\(p): missing, expected \(l)" }
                if let d = first(l, r, path: p) { return d }
            }
            return nil
        case let (.array(e), .array(a)):
            for (i, (l, r)) in zip(e, a).enumerated() {
                if let d = first(l, r, path: "\(path)[\(i)]") { return d }
            }
            if e.count != a.count { return "\(path): \(a.count) elements, expected \(e.count)" }
            return nil
        default:
            return expected == actual ? nil : "\(path.isEmpty ? "value" : path): \(actual), expected \(expected)"
        }
    }
}
