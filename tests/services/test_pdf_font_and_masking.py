"""PDFs embed a subset of the bundled TrueType CJK font; sign-in sheets hide phone numbers."""

from __future__ import annotations

from pypdf import PdfReader

from pzh_core.domain.person import Person, masked_phone
from pzh_core.domain.training import TrainingClass
from pzh_core.resources import resources_dir
from pzh_station.io import pdf
from pzh_station.services.people import PeopleService
from pzh_station.services.training import TrainingService
from pzh_station.services.training_export import TrainingExport


def _fonts(path):
    found = []
    for page in PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            found.append((str(font["/BaseFont"]), "/FontFile2" in descriptor))
    return found


def test_pdfs_embed_a_subset_of_the_bundled_truetype_font(tmp_path):
    bundled = resources_dir() / "fonts" / pdf.BUNDLED
    assert bundled.is_file() and (resources_dir() / "fonts" / "wqy-microhei-LICENSE.txt").is_file()
    assert pdf.font_name() == pdf.FONT  # not the referenced-only STSong-Light
    out = pdf.build(tmp_path / "t.pdf", [pdf.title("文化站月报"), pdf.para("攀枝花市仁和区")])
    cjk = [(name, embedded) for name, embedded in _fonts(out) if name != "/Helvetica"]
    # Helvetica (page numbers) is one of the 14 fonts every reader has; the Chinese font is
    # embedded, as a subset: the name carries a subset tag, the file is far smaller than the font
    assert cjk and all(embedded and "+" in name for name, embedded in cjk), cjk
    assert out.stat().st_size < bundled.stat().st_size / 20


def test_masked_phone():
    assert masked_phone("13812345678") == "138****5678"
    assert masked_phone("０８１２-3456789") == "081****6789"
    assert masked_phone("0812345678") == "08****5678"
    assert masked_phone("12345") == "*****"


def _class(services):
    people = PeopleService(services)
    t = TrainingService(services)
    cid = t.save_class(TrainingClass(name="书法班", art_form="calligraphy"))
    for i, name in enumerate(["张三", "李四", "王五"]):
        t.enroll(cid, people.save(Person(name=name, phone=f"1381234567{i}")))
    return cid, t.add_session(cid, "2026-03-03", "19:30", "21:00")


def test_sign_in_sheet_masks_phones_unless_asked_and_keeps_the_blank_rows(services, tmp_path):
    _cid, session = _class(services)
    ex = TrainingExport(services)
    masked = ex.write_sign_in_sheet(tmp_path / "签到表.pdf", session)
    text = "".join(p.extract_text() for p in PdfReader(str(masked)).pages).replace(" ", "")
    assert "138****5670" in text and "13812345670" not in text
    assert len(PdfReader(str(masked)).pages) == 1
    lines = text.split("\n")
    numbered = [ln for ln in lines if ln.isdigit()]
    assert numbered[-8:] == [str(n) for n in range(4, 12)], lines  # 8 blank rows for walk-ins
    whole = ex.write_sign_in_sheet(tmp_path / "签到表-完整.pdf", session, show_phones=True)
    text = "".join(p.extract_text() for p in PdfReader(str(whole)).pages).replace(" ", "")
    assert "13812345670" in text
