"""Settings with install-time presets, and the shared Chinese PDF helper."""

from __future__ import annotations

from pzh_station.io import pdf
from pzh_station.settings import Settings


def test_preset_is_used_only_where_settings_have_no_value(tmp_path, monkeypatch):
    preset = tmp_path / "preset.ini"
    preset.write_text(
        "[pzh-station]\nserver_url = https://city.example/\nenrollment_code = ABCD-EFGH\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PZH_STATION_PRESET", str(preset))
    s = Settings(tmp_path / "数据")
    assert s.get("server_url") == "https://city.example/"
    s.set("server_url", "https://other.example/")
    again = Settings(tmp_path / "数据")
    assert again.get("server_url") == "https://other.example/"
    assert again.get("enrollment_code") == "ABCD-EFGH"


def test_pdf_with_chinese_table(tmp_path):
    out = pdf.build(
        tmp_path / "签到表.pdf",
        [pdf.title("签到表"), pdf.table(["序号", "姓名"], [[1, "张三"], [2, ""]])],
        doc_title="签到表",
    )
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 500


def test_preset_written_in_the_chinese_windows_code_page_is_read(tmp_path, monkeypatch):
    preset = tmp_path / "preset.ini"
    preset.write_bytes("[pzh-station]\nserver_url = https://市服务器.example/\n".encode("gbk"))
    monkeypatch.setenv("PZH_STATION_PRESET", str(preset))
    assert Settings(tmp_path / "数据").get("server_url") == "https://市服务器.example/"
