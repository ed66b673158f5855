"""Administration on the web pages (real server on loopback): station names unique within a
county, renaming a station as a server write its PCs pull, the audit log, web accounts."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.server_fixtures import LiveServer, start_server
from tests.web_support import PASSWORD, csrf_of, make_world, sign_in, web_client

YEAR = dt.date.today().year - 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database):
    # module_database: on PostgreSQL a database of this module's own (the per-test one is emptied
    # before each test, which would wipe this module-wide world).
    where = tmp_path_factory.mktemp("webadmin") / "server"
    with start_server(where, database=module_database) as server:
        yield server, make_world(server, YEAR)


def _stations(server: LiveServer) -> list:
    s = server._storage()
    try:
        return s.list_stations()
    finally:
        s.close()


def _post(c: httpx.Client, path: str, page: str, **data: str) -> httpx.Response:
    return c.post(path, data={"csrf": csrf_of(c.get(page).text), **data})


def test_station_names_are_unique_within_a_county(world) -> None:
    server, w = world
    with web_client(server.url, "city") as c:
        before = len(_stations(server))
        # The same name again in 仁和区 (also with other spacing or full-width letters): refused.
        for name in ("大田镇综合文化站", " 大田镇 综合文化站 "):
            r = _post(c, "/web/admin/stations", "/web/admin", name=name, county="仁和区")
            assert r.status_code == 400, name
            assert "仁和区已有名为“大田镇综合文化站”的文化站" in r.text
            assert f'value="{name}"' in r.text  # the form keeps what was typed
        assert len(_stations(server)) == before
        # The same name in another county is another station.
        r = _post(c, "/web/admin/stations", "/web/admin", name="大田镇综合文化站", county="米易县")
        assert r.status_code == 303
        names = [(s.county, s.name) for s in _stations(server)]
        assert names.count(("米易县", "大田镇综合文化站")) == 1
        assert names.count(("仁和区", "大田镇综合文化站")) == 1


def test_control_characters_in_a_station_name_are_refused_at_the_door(world) -> None:
    server, _ = world
    with web_client(server.url, "city") as c:
        before = len(_stations(server))
        r = _post(c, "/web/admin/stations", "/web/admin", name="坏\x01名字站", county="西区")
        assert r.status_code == 400 and "控制字符" in r.text
        assert len(_stations(server)) == before
        # The exports still work (they answered 500 when such a name got in).
        assert c.get(f"/web/export/overview.xlsx?year={YEAR}").status_code == 200


def _pull(server: LiveServer, token: str) -> list[dict]:
    r = httpx.post(
        f"{server.url}/v1/sync",
        json={"protocol": 1, "push": [], "cursor": 0},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["changes"]


def test_rename_is_a_server_write_the_stations_pcs_pull_with_an_audit_entry(world) -> None:
    server, w = world
    sid = w.stations["同德镇综合文化站"]
    device = w.devices["同德镇综合文化站"]
    with web_client(server.url, "renhe") as c:
        # Another station's name in the same county: refused, nothing changes.
        r = _post(
            c,
            "/web/admin/stations/rename",
            "/web/admin",
            station_id=sid,
            new_name="大田镇综合文化站",
            reason="",
        )
        assert r.status_code == 400 and "已有名为" in r.text
        assert {s.id: s.name for s in _stations(server)}[sid] == "同德镇综合文化站"

        r = _post(
            c,
            "/web/admin/stations/rename",
            "/web/admin",
            station_id=sid,
            new_name="同德镇文化站",
            reason="乡镇要求统一名称",
        )
        assert r.status_code == 303 and r.headers["location"] == "/web/admin?ok=renamed"
        page = c.get(r.headers["location"]).text
        assert "文化站已改名" in page
        audit = page.split('id="audit-table"')[1].split("</table>")[0]
        assert "renhe" in audit and "同德镇综合文化站" in audit and "同德镇文化站" in audit
        assert "乡镇要求统一名称" in audit
        assert "同德镇文化站" in c.get(f"/web/station/{sid}").text
    assert {s.id: s.name for s in _stations(server)}[sid] == "同德镇文化站"
    # The station's PC gets the new name in its pull, written by the server as a device.
    renames = [
        ch for ch in _pull(server, device.token) if ch["t"] == "stations" and ch["id"] == sid
    ]
    assert renames and renames[-1]["f"].get("name") == "同德镇文化站"
    assert renames[-1]["s"].endswith(".server")
    # Another county's user cannot rename it (as if it did not exist) nor see the audit entry.
    with web_client(server.url, "miyi") as c:
        r = _post(
            c,
            "/web/admin/stations/rename",
            "/web/admin",
            station_id=sid,
            new_name="被改掉的名字",
            reason="",
        )
        assert r.status_code == 404
        assert "同德镇" not in c.get("/web/admin").text
    assert {s.id: s.name for s in _stations(server)}[sid] == "同德镇文化站"


# -- web accounts -----------------------------------------------------------------------------
def test_city_administrator_manages_web_accounts_on_the_pages(world) -> None:
    server, _ = world
    with web_client(server.url, "city") as admin:
        page = admin.get("/web/admin/users")
        assert page.status_code == 200 and 'id="user-table"' in page.text
        # Create a county account.
        r = _post(
            admin,
            "/web/admin/users",
            "/web/admin/users",
            name="xiqu01",
            scope="西区",
            password="west-side-123",
        )
        assert r.status_code == 303, r.text
        with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as c:
            assert sign_in(c, "xiqu01", "west-side-123").status_code == 303
            assert "西区" in c.get("/web/").text
            # A county account cannot manage accounts.
            assert c.get("/web/admin/users").status_code == 403
            assert "网页账号" not in c.get("/web/admin").text
            # Its scope changes to 米易县: signed out, and then sees 米易县.
            uid = _user_id(admin, "xiqu01")
            r = _post(admin, f"/web/admin/users/{uid}/scope", "/web/admin/users", scope="米易县")
            assert r.status_code == 303
            assert c.get("/web/").status_code == 303  # signed out everywhere
            assert sign_in(c, "xiqu01", "west-side-123").status_code == 303
            assert "攀莲镇综合文化站" in c.get(f"/web/?year={YEAR}").text
            # Password reset: the old one stops working, the session ends.
            r = _post(
                admin,
                f"/web/admin/users/{uid}/password",
                "/web/admin/users",
                password="new-password-456",
            )
            assert r.status_code == 303
            assert c.get("/web/").status_code == 303
            assert sign_in(c, "xiqu01", "west-side-123").status_code == 401
            assert sign_in(c, "xiqu01", "new-password-456").status_code == 303
            # Disabled: signed out and cannot sign in; enabled again: can.
            r = _post(admin, f"/web/admin/users/{uid}/disable", "/web/admin/users")
            assert r.status_code == 303
            assert c.get("/web/").status_code == 303
            assert sign_in(c, "xiqu01", "new-password-456").status_code == 401
            assert "已停用" in _user_row(admin, "xiqu01")
            r = _post(admin, f"/web/admin/users/{uid}/enable", "/web/admin/users")
            assert r.status_code == 303
            assert sign_in(c, "xiqu01", "new-password-456").status_code == 303
        # Mistakes get a Chinese message at the form, nothing half-made.
        r = _post(
            admin, "/web/admin/users", "/web/admin/users", name="短", scope="city", password="123"
        )
        assert r.status_code == 400 and "密码至少8个字符" in r.text
        r = _post(
            admin,
            "/web/admin/users",
            "/web/admin/users",
            name="xiqu01",
            scope="city",
            password="whatever-123",
        )
        assert r.status_code == 400 and "已存在" in r.text
        # The administrator cannot lock themselves out.
        me = _user_id(admin, "city")
        r = _post(admin, f"/web/admin/users/{me}/disable", "/web/admin/users")
        assert r.status_code == 400 and "不能停用自己" in r.text
        assert admin.get("/web/").status_code == 200
        # Every change is in the audit log.
        audit = admin.get("/web/admin").text.split('id="audit-table"')[1]
        for what in ("新建账号", "修改账号范围", "重设密码", "停用账号", "启用账号"):
            assert what in audit, what


def test_county_user_cannot_change_accounts(world) -> None:
    server, _ = world
    with web_client(server.url, "city") as admin:
        uid = _user_id(admin, "miyi")
    with web_client(server.url, "renhe") as c:
        page = c.get("/web/admin").text
        for path in (f"/web/admin/users/{uid}/disable", "/web/admin/users"):
            r = c.post(path, data={"csrf": csrf_of(page), "name": "x", "password": "y" * 9})
            assert r.status_code == 403, path
    with web_client(server.url, "miyi") as c:
        assert c.get("/web/").status_code == 200


def _user_row(c: httpx.Client, name: str) -> str:
    html = c.get("/web/admin/users").text
    return html.split(f'data-user="{name}"')[1].split("</tr>")[0]


def _user_id(c: httpx.Client, name: str) -> str:
    row = _user_row(c, name)
    return row.split('action="/web/admin/users/')[1].split("/")[0]


def test_password_is_never_echoed(world) -> None:
    server, _ = world
    with web_client(server.url, "city") as admin:
        r = _post(
            admin,
            "/web/admin/users",
            "/web/admin/users",
            name="has space",
            scope="city",
            password=PASSWORD + "-secret",
        )
        assert r.status_code == 400 and PASSWORD + "-secret" not in r.text


def test_exports_neutralise_formulas_in_hostile_names(world) -> None:
    import csv
    import io
    import zipfile

    import openpyxl

    server, _ = world
    hostile = ['=HYPERLINK("http://evil.example","点我")', "+1+2综合文化站", "@SUM(A1)站", "-3站"]
    with web_client(server.url, "city") as c:
        for name in hostile:
            r = _post(c, "/web/admin/stations", "/web/admin", name=name, county="盐边县")
            assert r.status_code == 303, r.text
        r = c.get(f"/web/export/overview.csv?year={YEAR}")
        assert r.status_code == 200
        cells = [x for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for x in row]
        for name in hostile:
            assert "'" + name in cells and name not in cells
        # The plain filename is readable ASCII; the UTF-8 one is the Chinese name.
        disp = r.headers["content-disposition"]
        assert f'filename="pzh-overview-city-{YEAR}.csv"' in disp
        assert "filename*=UTF-8''" in disp
        x = c.get(f"/web/export/overview.xlsx?year={YEAR}")
        assert x.status_code == 200
        sheet = zipfile.ZipFile(io.BytesIO(x.content)).read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet  # no formula anywhere
        ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
        names = {row[1].value: row[1] for row in ws.iter_rows(min_row=3)}
        for name in hostile:
            assert names[name].data_type == "s" and names[name].quotePrefix
    with web_client(server.url, "renhe") as c:
        r = c.get(f"/web/export/overview.xlsx?year={YEAR}")
        assert f'filename="pzh-overview-renhe-{YEAR}.xlsx"' in r.headers["content-disposition"]


def test_the_audit_log_exports_whole_and_scoped(world) -> None:
    import csv
    import io

    import openpyxl

    server, _ = world
    with web_client(server.url, "city") as c:
        r = _post(
            c, "/web/admin/stations", "/web/admin", name="=1+1审计综合文化站", county="米易县"
        )
        assert r.status_code == 303, r.text
        r = c.get("/web/admin/audit.csv")
        assert r.status_code == 200
        assert 'filename="pzh-audit-city.csv"' in r.headers["content-disposition"]
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert lines[0][0].startswith(f"全市管理记录：共{len(lines) - 2}条")
        assert lines[1][:3] == ["时间", "操作人", "操作"] and len(lines) - 2 >= 2
        newest = lines[2]
        assert newest[1:5] == ["city", "创建文化站", "米易县", "'=1+1审计综合文化站"]
        x = c.get("/web/admin/audit.xlsx")
        ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
        assert ws.cell(3, 5).value == "=1+1审计综合文化站" and ws.cell(3, 5).data_type == "s"
        assert c.get("/web/admin/audit.pdf").status_code == 404
    # A county sees only what concerns its own stations.
    with web_client(server.url, "renhe") as c:
        r = c.get("/web/admin/audit.csv")
        assert r.status_code == 200
        assert 'filename="pzh-audit-renhe.csv"' in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[2:]
        assert rows and {row[3] for row in rows} == {"仁和区"}
        assert all("审计" not in row[4] for row in rows)
    r = httpx.get(f"{server.url}/web/admin/audit.csv", follow_redirects=False, timeout=10)
    assert r.status_code in (302, 303) and "/web/login" in r.headers["location"]
