import Wire

/// An SVG message sequence diagram: one lifeline per member, one arrow per message labelled
/// with its type, term and index, time flowing down.
struct SequenceDiagram {
    struct Arrow {
        var time: Double
        var from: UInt64
        var to: UInt64
        var label: String
        var isHeartbeat: Bool
    }

    var arrows: [Arrow]

    init(_ messages: [(time: Double, message: Message)]) {
        arrows = messages.compactMap { time, m in
            guard !MsgAppV2.isLinkHeartbeat(m) else { return nil }
            var label = "\(m.type) t\(m.term) i\(m.index)"
            if m.reject { label += " rejected" }
            if !m.entries.isEmpty { label += " +\(m.entries.count)" }
            return Arrow(time: time, from: m.from, to: m.to, label: label,
                         isHeartbeat: m.type == .msgHeartbeat || m.type == .msgHeartbeatResp)
        }
    }

    /// Runs of consecutive heartbeats (and their responses) become one arrow per pair of
    /// members, labelled with how many there were.
    mutating func foldHeartbeats() {
        var folded: [Arrow] = []
        var run: [Arrow] = []
        func flush() {
            var seen: [String: (Arrow, Int)] = [:]
            var order: [String] = []
            for arrow in run {
                let key = "\(arrow.from)>\(arrow.to)>\(arrow.label.split(separator: " ")[0])"
                if let (first, count) = seen[key] { seen[key] = (first, count + 1) } else { seen[key] = (arrow, 1); order.append(key) }
            }
            for key in order {
                guard let (first, count) = seen[key] else { continue }
                var arrow = first
                if count > 1 { arrow.label = "\(arrow.label.split(separator: " ")[0]) ×\(count)" }
                folded.append(arrow)
            }
            run = []
        }
        for arrow in arrows {
            if arrow.isHeartbeat { run.append(arrow) } else { flush(); folded.append(arrow) }
        }
        flush()
        arrows = folded
    }

    func svg() -> String {
        var members: [UInt64] = []
        for arrow in arrows {
            for id in [arrow.from, arrow.to] where !members.contains(id) { members.append(id) }
        }
        let column = 220, row = 22, top = 60, left = 120
        let width = left + column * max(members.count, 1), height = top + row * (arrows.count + 1)
        func x(_ id: UInt64) -> Int { left + column * (members.firstIndex(of: id) ?? 0) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="monospace" font-size="11">
            <defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>
            <rect width="100%" height="100%" fill="white"/>

            """
        for id in members {
            out += "<text x=\"\(x(id))\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">\(String(id, radix: 16))</text>\n"
            out += "<line x1=\"\(x(id))\" y1=\"40\" x2=\"\(x(id))\" y2=\"\(height - 10)\" stroke=\"#999\" stroke-dasharray=\"4,3\"/>\n"
        }
        for (i, arrow) in arrows.enumerated() {
            let y = top + row * i
            let color = arrow.isHeartbeat ? "#bbb" : "#333"
            out += "<text x=\"4\" y=\"\(y + 4)\" fill=\"#666\">\(format(arrow.time))</text>\n"
            out += "<line x1=\"\(x(arrow.from))\" y1=\"\(y)\" x2=\"\(x(arrow.to))\" y2=\"\(y)\" stroke=\"\(color)\" marker-end=\"url(#arrow)\"/>\n"
            let middle = (x(arrow.from) + x(arrow.to)) / 2
            out += "<text x=\"\(middle)\" y=\"\(y - 3)\" text-anchor=\"middle\" fill=\"\(color)\">\(escape(arrow.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    private func format(_ time: Double) -> String {
        let micros = Int((time * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    private func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }
}
