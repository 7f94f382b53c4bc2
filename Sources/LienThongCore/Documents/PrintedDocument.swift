import Foundation

/// A document as blocks, rendered two ways from the same content: text for the terminal and the
/// counter's receipt printer, and a printable HTML page (well-formed XHTML, UTF-8, sized for A5).
public struct PrintedDocument: Sendable, Hashable {
    public enum Page: String, Sendable, Hashable {
        case a5 = "A5 portrait"
        case a5Landscape = "A5 landscape"
    }

    public struct Signature: Sendable, Hashable {
        public var title: String
        public var note: String
        public var name: String

        public init(title: String, note: String = "(Ký và ghi rõ họ tên)", name: String = "") {
            self.title = title
            self.note = note
            self.name = name
        }
    }

    public enum Block: Sendable, Hashable {
        /// The top of a Vietnamese administrative document: the issuing office on the left, the
        /// national motto on the right.
        case heading(left: [String], right: [String])
        /// The document's name, centred, with lines under it.
        case title(String, [String])
        case paragraph(String)
        /// `label: value`.
        case field(String, String)
        /// A numbered list under an optional lead line.
        case numbered(String, [String])
        case table(columns: [String], rows: [[String]])
        case signatures([Signature])
        case blank
    }

    public var title: String
    public var page: Page
    public var blocks: [Block]

    public init(title: String, page: Page = .a5, blocks: [Block]) {
        self.title = title
        self.page = page
        self.blocks = blocks
    }

    /// The national heading's right column.
    public static let motto = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]

    // MARK: Text

    static let width = 72

    static func center(_ line: String, in width: Int = width) -> String {
        String(repeating: " ", count: max(0, (width - line.count) / 2)) + line
    }

    /// As plain text, 72 columns.
    public var text: String {
        var lines: [String] = []
        for block in blocks {
            switch block {
            case .heading(let left, let right):
                for line in right { lines.append(Self.center(line)) }
                for line in left { lines.append(Self.center(line)) }
                lines.append("")
            case .title(let title, let under):
                lines.append(Self.center(title))
                for line in under { lines.append(Self.center(line)) }
                lines.append("")
            case .paragraph(let text):
                lines.append(contentsOf: Self.wrap(text, width: Self.width))
            case .field(let label, let value):
                lines.append(contentsOf: Self.wrap("\(label): \(value)", width: Self.width))
            case .numbered(let lead, let items):
                if !lead.isEmpty { lines.append(lead) }
                for (index, item) in items.enumerated() { lines.append(contentsOf: Self.wrap("   \(index + 1). \(item)", width: Self.width)) }
            case .table(let columns, let rows):
                let widths = columns.indices.map { column in ([columns] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
                for row in [columns] + rows {
                    lines.append(
                        row.enumerated().map { index, cell in cell + String(repeating: " ", count: max(0, widths[index] - cell.count)) }
                            .joined(separator: " | ").trimmingTrailingSpaces)
                }
            case .signatures(let signatures):
                let column = Self.width / max(1, signatures.count)
                func row(_ texts: [String]) -> String {
                    texts.map { text in
                        let centred = Self.center(text, in: column)
                        return centred + String(repeating: " ", count: max(1, column - centred.count))
                    }.joined().trimmingTrailingSpaces
                }
                lines.append(row(signatures.map(\.title)))
                lines.append(row(signatures.map(\.note)))
                lines.append("")
                lines.append("")
                lines.append(row(signatures.map(\.name)))
            case .blank:
                lines.append("")
            }
        }
        while lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` in lines of at most `width` characters where the words allow, continuation lines
    /// indented by five spaces more than the first; leading spaces are kept.
    static func wrap(_ text: String, width: Int) -> [String] {
        let indent = String(text.prefix { $0 == " " })
        var lines: [String] = []
        var current = indent
        for word in text.dropFirst(indent.count).split(separator: " ") {
            if current == indent {
                current += word
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = indent + "     " + word
            }
        }
        lines.append(current)
        return lines
    }

    // MARK: HTML

    /// Escapes text for XHTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// As a printable page: well-formed XHTML in UTF-8, for a browser's Print on A5 paper.
    public var html: String {
        let e = Self.escape
        var body: [String] = []
        for block in blocks {
            switch block {
            case .heading(let left, let right):
                body.append("<table class=\"heading\"><tr>")
                body.append("<td>" + left.map { "<div>\(e($0))</div>" }.joined() + "</td>")
                body.append("<td>" + right.map { "<div>\(e($0))</div>" }.joined() + "</td>")
                body.append("</tr></table>")
            case .title(let title, let under):
                body.append("<h1>\(e(title))</h1>")
                for line in under { body.append("<p class=\"under\">\(e(line))</p>") }
            case .paragraph(let text):
                body.append("<p>\(e(text))</p>")
            case .field(let label, let value):
                body.append("<p><span class=\"label\">\(e(label)):</span> \(e(value))</p>")
            case .numbered(let lead, let items):
                if !lead.isEmpty { body.append("<p>\(e(lead))</p>") }
                body.append("<ol>" + items.map { "<li>\(e($0))</li>" }.joined() + "</ol>")
            case .table(let columns, let rows):
                body.append("<table class=\"grid\"><thead><tr>" + columns.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>")
                for row in rows { body.append("<tr>" + row.map { "<td>\(e($0))</td>" }.joined() + "</tr>") }
                body.append("</tbody></table>")
            case .signatures(let signatures):
                body.append("<table class=\"signatures\"><tr>")
                for signature in signatures {
                    body.append(
                        "<td><div class=\"role\">\(e(signature.title))</div><div class=\"note\">\(e(signature.note))</div><div class=\"name\">\(e(signature.name))</div></td>"
                    )
                }
                body.append("</tr></table>")
            case .blank:
                body.append("<div class=\"gap\"></div>")
            }
        }
        let style = """
            @page { size: \(page.rawValue); margin: 10mm 12mm; }
            body { font-family: "Times New Roman", Times, serif; font-size: 12pt; line-height: 1.35; margin: 0; }
            table.heading, table.signatures { width: 100%; border-collapse: collapse; }
            table.heading td { width: 50%; text-align: center; vertical-align: top; font-weight: bold; }
            table.heading td:last-child div:last-child { text-decoration: underline; }
            h1 { font-size: 13pt; text-align: center; margin: 10pt 0 2pt; }
            p { margin: 2pt 0; }
            p.under { text-align: center; font-style: italic; }
            span.label { font-weight: bold; }
            table.grid { width: 100%; border-collapse: collapse; font-size: 10pt; }
            table.grid th, table.grid td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; }
            table.signatures td { text-align: center; vertical-align: top; padding-top: 8pt; }
            div.role { font-weight: bold; } div.note { font-style: italic; } div.name { margin-top: 40pt; font-weight: bold; }
            div.gap { height: 6pt; }
            """
        return """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="vi" xml:lang="vi">
            <head>
            <meta charset="utf-8" />
            <title>\(e(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }
}
