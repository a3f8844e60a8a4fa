/// Go's flag syntax, which etcd's users write: `-name x` as well as `--name x`, and boolean
/// flags given bare (`--pre-vote`) meaning true.
enum GoFlagSyntax {
    static let booleanFlags: Set<String> = ["pre-vote", "strict-reconfig-check"]

    static func normalized(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var index = 0
        while index < arguments.count {
            var argument = arguments[index]
            if argument.hasPrefix("-"), !argument.hasPrefix("--"), argument.count > 2 { argument = "-" + argument }
            let name = String(argument.dropFirst(2))
            if booleanFlags.contains(name) {
                let next = index + 1 < arguments.count ? arguments[index + 1] : ""
                if next == "true" || next == "false" {
                    argument += "=" + next
                    index += 1
                } else {
                    argument += "=true"
                }
            }
            out.append(argument)
            index += 1
        }
        return out
    }
}
