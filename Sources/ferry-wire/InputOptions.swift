import ArgumentParser
import Foundation
import Wire

/// Where a subcommand's bytes come from: a file, or stdin when no file (or `-`) is given,
/// optionally written as hex or base64 text.
struct InputOptions: ParsableArguments {
    @Argument(help: "Input file; stdin when absent or '-'.") var file: String?
    @Flag(help: "The input is hex text (whitespace ignored).") var hex = false
    @Flag(help: "The input is base64 text (whitespace ignored).") var base64 = false

    func read(stdin: () throws -> [UInt8]) throws -> [UInt8] {
        let raw = try InputOptions.contents(file, stdin: stdin)
        return try InputOptions.decodeText(raw, hex: hex, base64: base64)
    }

    static func contents(_ file: String?, stdin: () throws -> [UInt8]) throws -> [UInt8] {
        guard let file, file != "-" else { return try stdin() }
        guard let data = FileManager.default.contents(atPath: file) else { throw ToolError.unreadable("cannot read \(file)") }
        return [UInt8](data)
    }

    /// The bytes a hex or base64 text stands for (or `raw` itself when neither is asked).
    static func decodeText(_ raw: [UInt8], hex: Bool, base64: Bool) throws -> [UInt8] {
        if hex && base64 { throw ToolError.usage("--hex and --base64 exclude each other") }
        let text = String(decoding: raw.filter { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }, as: UTF8.self)
        if hex {
            guard let bytes = hexBytes(text) else {
                let bad = text.utf8.firstIndex { !(hexDigitValue($0) != nil) }.map { text.utf8.distance(from: text.utf8.startIndex, to: $0) }
                throw ToolError.unreadable(bad.map { "invalid hex digit at character \($0)" } ?? "odd number of hex digits")
            }
            return bytes
        }
        if base64 {
            guard let data = Data(base64Encoded: text) else { throw ToolError.unreadable("invalid base64 input") }
            return [UInt8](data)
        }
        return raw
    }
}
