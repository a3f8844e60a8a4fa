/// A raft interaction script in cockroachdb/datadriven's format
/// (../shared/conformance/raft-interaction/README.md): blocks of a command line, input
/// lines, `----`, and the expected output.
struct RaftScript {
    /// One argument of a command line: `key`, `key=value` or `key=(a,b,c)`.
    struct Argument: Equatable {
        var key: String
        var values: [String] = []
    }

    struct Block {
        /// The line number of the command, from 1.
        var line: Int
        /// The command line as written (continuations joined).
        var text: String
        var command: String
        var arguments: [Argument]
        var input: String
        var expected: String
    }

    /// A script that cannot be read; etcd's harness would abort on it.
    struct Malformed: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "line \(line): \(reason)" }
    }

    var blocks: [Block] = []

    init(text: String) throws(Malformed) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var i = 0
        func next() -> String? {
            guard i < lines.count else { return nil }
            defer { i += 1 }
            return lines[i]
        }
        while let raw = next() {
            let number = i
            var line = raw.trimmingWhitespace
            if line.hasPrefix("#") { continue }
            while line.hasSuffix("\\"), let continued = next() {
                line = String(line.dropLast()) + " " + continued.trimmingWhitespace
            }
            guard let (command, arguments) = try RaftScript.parse(line, at: number) else { continue }
            var input: [String] = []
            var separated = false
            while let inputLine = next() {
                if inputLine == "----" {
                    separated = true
                    break
                }
                input.append(inputLine)
            }
            let expected = separated ? readExpected(&i, lines) : ""
            blocks.append(Block(line: number, text: line, command: command, arguments: arguments,
                                input: input.joined(separator: "\n").trimmingWhitespace, expected: expected))
        }
    }

    /// The expected output after `----`: up to a blank line, or in the `----`/`----`
    /// form up to a `----` line followed directly by another.
    private func readExpected(_ i: inout Int, _ lines: [String]) -> String {
        var out = ""
        guard i < lines.count else { return out }
        if lines[i] == "----" {
            i += 1
            while i < lines.count {
                if lines[i] == "----", i + 1 < lines.count, lines[i + 1] == "----" {
                    i += 2
                    break
                }
                out += lines[i] + "\n"
                i += 1
            }
            return out
        }
        while i < lines.count, !lines[i].trimmingWhitespace.isEmpty {
            out += lines[i] + "\n"
            i += 1
        }
        return out
    }

    /// datadriven's ParseLine; nil for an empty line.
    static func parse(_ line: String, at number: Int) throws(Malformed) -> (String, [Argument])? {
        var rest = Substring(line.trimmingWhitespace)
        if rest.isEmpty { return nil }
        func until(_ stops: Set<Character>) -> Substring {
            let end = rest.firstIndex { stops.contains($0) } ?? rest.endIndex
            defer { rest = rest[end...] }
            return rest[..<end]
        }
        let malformed = Malformed(line: number, reason: "cannot parse directive: \(line)")
        let command = String(until([" "]))
        rest = rest.drop { $0 == " " }
        var arguments: [Argument] = []
        while !rest.isEmpty {
            var argument = Argument(key: String(until([" ", "="])))
            if argument.key.isEmpty { throw malformed }
            if rest.first == "=" {
                rest = rest.dropFirst()
                if rest.isEmpty || rest.first == " " {
                    argument.values = [""]
                } else if rest.first != "(" {
                    argument.values = [String(until([" "]))]
                } else {
                    var depth = 0
                    var current = ""
                    var closed = false
                    rest = rest.dropFirst()
                    depth = 1
                    while let c = rest.first {
                        rest = rest.dropFirst()
                        if c == "(" { depth += 1 }
                        if c == ")" {
                            depth -= 1
                            if depth == 0 {
                                closed = true
                                break
                            }
                        }
                        if c == "," && depth == 1 {
                            argument.values.append(current)
                            current = ""
                            rest = rest.drop { $0 == " " }
                            continue
                        }
                        current.append(c)
                    }
                    if !closed { throw malformed }
                    argument.values.append(current)
                }
            }
            arguments.append(argument)
            rest = rest.drop { $0 == " " }
        }
        return (command, arguments)
    }
}

extension String {
    /// Go's strings.TrimSpace for the ASCII whitespace scripts contain.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
