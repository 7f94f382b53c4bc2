import Foundation
import LienThongCore
import LienThongTesting
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The printed documents: the receipt (Mẫu 01), the supplement request (Mẫu 02), the apology with a
/// new appointment (Mẫu 04) and the control slip, from a dossier the real workflow wrote.
@Suite struct DossierFormsTests {
    /// A marriage-status certificate (1.004873, supplement pauses the clock) received, sent back
    /// for a paper, completed, handed to an officer and given a new appointment.
    static func dossier() throws -> (state: DossierState, events: [Event]) {
        let workflow = try Fixtures.workflow()
        var log = EventLogBuilder(origin: "xa-23059")
        var events: [Event] = []
        let code = "23059-260105-0007"
        let intake = Workflow.Intake(
            procedureCode: "1.004873", applicantName: "Nguyễn Thị Ánh Tuyết", idNumber: "060190001234", phone: "0912345678",
            email: "tuyet@example.vn", address: "thôn Lâm Hòa, thị trấn Ma Lâm", documents: ["Tờ khai cấp Giấy xác nhận tình trạng hôn nhân"],
            channel: .counter)
        events.append(log.add(try workflow.receive(intake, code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00"))))
        for (command, at) in [
            (Workflow.Command.requestSupplement(reason: "Thiếu bản sao giấy khai sinh", documents: ["Bản sao giấy khai sinh"]), "2026-01-05 09:00"),
            (.supplementReceived(to: "cb-tuphap-01"), "2026-01-07 10:00"),
            (.process(to: "cb-tuphap-01", step: nil), "2026-01-07 14:00"),
            (.extend(until: LocalDate(iso: "2026-01-16")!, reason: "Cần xác minh thêm tại nơi cư trú trước đây"), "2026-01-09 15:00"),
        ] {
            events.append(log.add(try workflow.draft(command, code: code, events: events, actor: "cb-tiepnhan-01", now: Fixtures.vietnam(at))))
        }
        return (DossierFold.fold(code: code, events: events), events)
    }

    /// The text content of a well-formed XHTML page, or nil when it does not parse.
    final class TextCollector: NSObject, XMLParserDelegate {
        var text = ""
        var inStyle = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            inStyle = name == "style"
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            inStyle = false
            if name != "span" { text += "\n" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if !inStyle { text += string } }
    }

    static func parse(_ html: String) -> String? {
        // The DOCTYPE has no DTD to fetch; XMLParser reads the rest as XML.
        let parser = XMLParser(data: Data(html.utf8))
        let collector = TextCollector()
        parser.delegate = collector
        return parser.parse() ? collector.text : nil
    }

    /// `text` with every run of white space (line ends and wrapping indents included) as one space.
    static func flat(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test(arguments: DossierForms.Form.allCases)
    func everyFormParsesAndCarriesTheCodeTheOfficeAndCorrectDiacritics(_ form: DossierForms.Form) throws {
        let (state, events) = try Self.dossier()
        let names = DossierForms.Names(staff: ["cb-tiepnhan-01": "Nguyễn Thị Lan", "cb-tuphap-01": "Trần Văn Hùng"])
        let document = try DossierForms.document(form, state: state, events: events, names: names)
        let text = try #require(Self.parse(document.html), "the \(form) page is not well-formed XHTML")
        let titles: [DossierForms.Form: String] = [
            .receipt: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", .supplement: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            .apology: "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", .control: "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        ]
        for rendered in [text, document.text] {
            #expect(rendered.contains(try #require(titles[form])))
            #expect(rendered.contains("Mã hồ sơ: 23059-260105-0007"))
            #expect(rendered.contains("UBND THỊ TRẤN MA LÂM") || rendered.contains("UBND thị trấn Ma Lâm"))
            #expect(rendered.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
            // The applicant's name with its diacritics; the forms' own words are precomposed (NFC):
            // no letter followed by a combining mark (a literal typed decomposed would fail here).
            #expect(rendered.contains("Nguyễn Thị \u{00C1}nh Tuyết"))
            #expect(!rendered.unicodeScalars.contains { (0x0300...0x036F).contains($0.value) }, "combining marks in the \(form)")
        }
        #expect(document.html.contains("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"vi\""))
        #expect(document.html.contains("@page { size: A5"))
        #expect(document.html.contains("<meta charset=\"utf-8\" />"))
    }

    @Test func eachFormSaysWhatItIsFor() throws {
        let (state, events) = try Self.dossier()
        let names = DossierForms.Names(staff: ["cb-tiepnhan-01": "Nguyễn Thị Lan", "cb-tuphap-01": "Trần Văn Hùng"])
        // The appointment after the supplement: 2 working days were left at 09:00 on the 5th (the
        // 3-day clock started at 08:00), counted again from 10:00 on the 7th.
        let appointment = try #require(state.appointment)
        let receipt = Self.flat(try #require(Self.parse(DossierForms.receipt(state, names: names).html)))
        #expect(receipt.contains("Tiếp nhận hồ sơ của: Nguyễn Thị Ánh Tuyết"))
        #expect(receipt.contains("Nhận kết quả tại: Bộ phận tiếp nhận và trả kết quả, UBND thị trấn Ma Lâm"))
        #expect(receipt.contains("Thời gian trả kết quả giải quyết hồ sơ: \(DossierForms.dateTime(appointment))"))

        let supplement = Self.flat(try DossierForms.supplement(state, events: events, names: names).text)
        #expect(supplement.contains("1. Bản sao giấy khai sinh"))
        #expect(supplement.contains("Lý do: Thiếu bản sao giấy khai sinh"))
        #expect(supplement.contains("Thời hạn giải quyết tạm dừng"))
        #expect(supplement.contains("(còn lại 23 giờ 0 phút làm việc)"))

        let apology = Self.flat(try DossierForms.apology(state, events: events, names: names).text)
        #expect(apology.contains("Kính gửi: Ông/Bà Nguyễn Thị Ánh Tuyết"))
        #expect(apology.contains("Lý do: Cần xác minh thêm tại nơi cư trú trước đây"))
        #expect(apology.contains("vào 17 giờ 00 phút, ngày 16/01/2026"))
        // The appointment the citizen held before: after the supplement, not the first one.
        let resumed = try #require(events.first { $0.type == "dossier.supplementReceived" }?.body["appointment"]?.integerValue)
        #expect(apology.contains("Hẹn trả kết quả: \(DossierForms.dateTime(Int64(resumed)))"))

        let control = DossierForms.control(state, events: events, names: names).text
        #expect(control.contains("Trần Văn Hùng"))
        #expect(control.contains("Trạng thái hiện tại: Đang xử lý"))
        #expect(control.split(separator: "\n").filter { $0.contains("UBND thị trấn Ma Lâm |") }.count == state.handovers.count)
    }

    @Test func theControlSlipShowsTheTransfersBetweenOfficesInOrder() throws {
        let commune = try Fixtures.workflow()
        let district = try Fixtures.districtWorkflow()
        var communeLog = EventLogBuilder(origin: "xa-23059")
        var districtLog = EventLogBuilder(origin: "hub-597")
        let code = "23059-260105-0002"
        var events = [communeLog.add(try commune.receive(Fixtures.intake(), code: code, actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))]
        events.append(
            communeLog.add(
                try commune.draft(
                    .forward(agency: "597", reason: "Thẩm quyền huyện"), code: code, events: events, actor: "cb-tuphap-01",
                    now: Fixtures.vietnam("2026-01-05 10:00"))))
        for (command, actor, at) in [
            (Workflow.Command.accept, "pb-tiepnhan-01", "2026-01-06 08:00"), (.resolve(approved: true, reason: ""), "ld-ubnd-huyen", "2026-01-20 09:00"),
            (.sendResult, "pb-tiepnhan-01", "2026-01-20 10:00"),
        ] {
            events.append(districtLog.add(try district.draft(command, code: code, events: events, actor: actor, now: Fixtures.vietnam(at))))
        }
        let state = DossierFold.fold(code: code, events: events)
        let names = DossierForms.Names(offices: ["hub-597": "UBND huyện Hàm Thuận Bắc"])
        let lines = DossierForms.control(state, events: events, names: names).text.split(separator: "\n").filter { $0.contains(" | ") }.dropFirst()
        #expect(lines.count == 4)
        #expect(
            lines.map { $0.split(separator: "|")[1].trimmingCharacters(in: .whitespaces) } == [
                "UBND thị trấn Ma Lâm", "UBND thị trấn Ma Lâm", "UBND huyện Hàm Thuận Bắc", "UBND huyện Hàm Thuận Bắc",
            ])
        #expect(
            lines.map { $0.split(separator: "|")[2].trimmingCharacters(in: .whitespaces) }.dropFirst() == [
                "Chuyển liên thông đến UBND huyện Hàm Thuận Bắc", "Nhận hồ sơ liên thông", "Chuyển kết quả về UBND thị trấn Ma Lâm",
            ])
        #expect(lines.first?.contains("Đúng hạn") == true)  // finished at 10:00, due 14:00 the same day
    }

    @Test func whatTheClerkTypedIsEscapedInTheHTML() throws {
        let workflow = try Fixtures.workflow()
        var log = EventLogBuilder(origin: "xa-23059")
        let intake = Workflow.Intake(
            procedureCode: "1.001193", applicantName: "Lê Văn <b>Tư</b> & \"Con\"", idNumber: "060190001234", phone: "0912345678",
            address: "thôn 1 </p><script>alert(1)</script>", documents: ["Tờ khai & bản sao"], channel: .counter)
        let received = log.add(try workflow.receive(intake, code: "23059-260105-0009", actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))
        let state = DossierFold.fold(code: "23059-260105-0009", events: [received])
        let html = DossierForms.receipt(state, names: DossierForms.Names()).html
        #expect(!html.contains("<script>") && !html.contains("<b>"))
        let text = try #require(Self.parse(html), "the page with escaped input does not parse")
        #expect(text.contains("Lê Văn <b>Tư</b> & \"Con\""))
        #expect(text.contains("thôn 1 </p><script>alert(1)</script>"))
        #expect(text.contains("Tờ khai & bản sao"))
    }

    @Test func aFormWithNothingToSayIsRefusedWithTheCommandThatWouldWriteIt() throws {
        let workflow = try Fixtures.workflow()
        var log = EventLogBuilder(origin: "xa-23059")
        let received = log.add(
            try workflow.receive(Fixtures.intake(), code: "23059-260105-0001", actor: "cb-tiepnhan-01", now: Fixtures.vietnam("2026-01-05 08:00")))
        let state = DossierFold.fold(code: "23059-260105-0001", events: [received])
        #expect(throws: DossierForms.Unavailable.self) { try DossierForms.apology(state, events: [received], names: DossierForms.Names()) }
        do {
            _ = try DossierForms.supplement(state, events: [received], names: DossierForms.Names())
            Issue.record("a supplement request was printed for a dossier without one")
        } catch {
            #expect(error.description.contains("lienthong dossier request-supplement"))
        }
    }
}
