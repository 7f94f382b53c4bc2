import Foundation

extension Report06a {
    /// The report's title, as the form prints it.
    public static let title = "BIỂU II.06a — TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"

    /// The columns after STT and Lĩnh vực, as (group, column) titles, in the form's order, with the
    /// on-time rate last.
    public static let columns: [(group: String, title: String)] = [
        ("Số hồ sơ nhận giải quyết", "Tổng số"),
        ("Số hồ sơ nhận giải quyết", "Trong kỳ: Trực tuyến"),
        ("Số hồ sơ nhận giải quyết", "Trong kỳ: Trực tiếp, dịch vụ bưu chính"),
        ("Số hồ sơ nhận giải quyết", "Từ kỳ trước"),
        ("Số hồ sơ đã giải quyết", "Tổng số"),
        ("Số hồ sơ đã giải quyết", "Trước hạn"),
        ("Số hồ sơ đã giải quyết", "Đúng hạn"),
        ("Số hồ sơ đã giải quyết", "Quá hạn"),
        ("Số hồ sơ đang giải quyết", "Tổng số"),
        ("Số hồ sơ đang giải quyết", "Trong hạn"),
        ("Số hồ sơ đang giải quyết", "Quá hạn"),
        ("Tỷ lệ giải quyết đúng hạn", "(%)"),
    ]

    static func cells(_ figures: Figures) -> [String] {
        [
            figures.received, figures.receivedOnline, figures.receivedCounterOrPost, figures.carriedOver, figures.resolved, figures.early,
            figures.onTime, figures.resolvedLate, figures.pending, figures.pendingWithinTime, figures.pendingLate,
        ].map(String.init) + [figures.onTimeRate ?? ""]
    }

    var heading: [String] {
        var lines = [Self.title, "Kỳ báo cáo: từ ngày \(scope.from.vietnamese) đến ngày \(scope.to.vietnamese)", "Đơn vị: \(scope.unit)"]
        if let field = scope.field { lines.append("Lĩnh vực: \(rows.first { $0.field == field }?.name ?? field) (\(field))") }
        return lines
    }

    /// As a text table for the terminal: a header line per group, then one line per row.
    public var table: String {
        let numberWidth = max(4, rows.map(\.number.count).max() ?? 0)
        let nameWidth = min(48, max(20, rows.map(\.name.count).max() ?? 0))
        func cut(_ text: String, _ width: Int) -> String {
            text.count <= width ? text + String(repeating: " ", count: width - text.count) : String(text.prefix(width - 1)) + "…"
        }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let short = ["Tổng", "Tr.tuyến", "Tr.tiếp", "Kỳ trước", "Tổng", "Tr.hạn", "Đúng h.", "Quá hạn", "Tổng", "Tr.hạn", "Quá hạn", "Đúng hạn%"]
        let widths = short.map { max(7, $0.count) }
        var lines = heading
        lines.append("")
        let groups = [("Nhận giải quyết", 4), ("Đã giải quyết", 4), ("Đang giải quyết", 3), ("", 1)]
        var groupLine = cut("", numberWidth) + " " + cut("", nameWidth)
        var start = 0
        for (title, count) in groups {
            let width = widths[start..<start + count].reduce(0, +) + count
            groupLine += " " + cut(title, width - 1)
            start += count
        }
        lines.append(groupLine.trimmingTrailingSpaces)
        lines.append(
            (cut("STT", numberWidth) + " " + cut("Lĩnh vực", nameWidth) + zip(short, widths).map { " " + right($0, $1) }.joined()).trimmingTrailingSpaces)
        for row in rows {
            let name = row.level == .field && rows.contains(where: { $0.level == .commune }) ? "  " + row.name : row.name
            lines.append(
                cut(row.number, numberWidth) + " " + cut(name, nameWidth)
                    + zip(Self.cells(row.figures), widths).map { " " + right($0.isEmpty ? "—" : $0, $1) }.joined())
        }
        lines.append("")
        lines.append("Tỷ lệ giải quyết đúng hạn = (trước hạn + đúng hạn) / đã giải quyết; hồ sơ đang giải quyết xét tại cuối kỳ.")
        return lines.joined(separator: "\n") + "\n"
    }

    /// As CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends, the heading lines first,
    /// then one header row of "group – column" titles.
    public var csv: String {
        CSV.document(
            heading: heading,
            rows: [["STT", "Lĩnh vực"] + Self.columns.map { "\($0.group) - \($0.title)" }] + rows.map { [$0.number, $0.name] + Self.cells($0.figures) })
    }

    /// As canonical JSON (sorted keys, no spaces), one object.
    public var json: JSONValue {
        func figures(_ f: Figures) -> JSONValue {
            [
                "received": [
                    "total": .integer(f.received), "online": .integer(f.receivedOnline), "counterOrPost": .integer(f.receivedCounterOrPost),
                    "carriedOver": .integer(f.carriedOver),
                ],
                "resolved": ["total": .integer(f.resolved), "early": .integer(f.early), "onTime": .integer(f.onTime), "late": .integer(f.resolvedLate)],
                "pending": ["total": .integer(f.pending), "withinTime": .integer(f.pendingWithinTime), "late": .integer(f.pendingLate)],
                "onTimeRate": f.onTimeRate.map(JSONValue.string) ?? .null,
            ]
        }
        return [
            "report": .string("II.06a"),
            "from": .string(scope.from.iso),
            "to": .string(scope.to.iso),
            "unit": .string(scope.unit),
            "field": scope.field.map(JSONValue.string) ?? .null,
            "rows": .array(
                rows.map {
                    [
                        "level": .string($0.level.rawValue), "number": .string($0.number), "commune": .string($0.commune), "field": .string($0.field),
                        "name": .string($0.name), "figures": figures($0.figures),
                    ]
                }),
        ]
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}

/// CSV as Excel opens it with Vietnamese intact: UTF-8 with a byte-order mark, CRLF line ends,
/// RFC 4180 quoting.
enum CSV {
    /// `heading` lines (one cell each), an empty line, then `rows`.
    static func document(heading: [String], rows: [[String]]) -> String {
        let lines = heading.map(field) + [""] + rows.map { $0.map(field).joined(separator: ",") }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One cell, quoted when needed. A cell a spreadsheet would run as a formula (=, +, @) gets a
    /// leading apostrophe: names come from the catalogue and the dossiers, not from us.
    static func field(_ text: String) -> String {
        let safe = text.first.map { "=+@".contains($0) } == true ? "'" + text : text
        return safe.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : safe
    }
}
