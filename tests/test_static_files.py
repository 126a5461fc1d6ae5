"""Static files reach the browser compressed, named by their content and cached for good;
pages are compressed too, and streamed downloads are not held back to be compressed."""

import gzip
import re
from pathlib import Path

import brotli

from portal.web.static_files import build, content_name

PEOPLE = ("admin",)
STATIC = Path(__file__).resolve().parent.parent / "static"


def linked_files(page_html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page_html)


def test_pages_link_static_files_by_their_content_names(client):
    links = linked_files(client.get("/login").get_data(as_text=True))
    assert "/static/" + content_name("css/app.css", (STATIC / "css/app.css").read_bytes()) \
        in links
    assert any(re.fullmatch(r"/static/vendor/htmx-4\.0\.1\.min\.[0-9a-f]{12}\.js", link)
               for link in links)


def test_a_static_file_comes_compressed_and_cached_forever(client):
    original = (STATIC / "css/app.css").read_bytes()
    url = "/static/" + content_name("css/app.css", original)

    as_brotli = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert as_brotli.status_code == 200
    assert as_brotli.headers["Content-Encoding"] == "br"
    assert brotli.decompress(as_brotli.data) == original
    assert as_brotli.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert "Accept-Encoding" in as_brotli.headers["Vary"]
    assert as_brotli.headers["X-Content-Type-Options"] == "nosniff"

    as_gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.data) == original

    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.data == original


def test_the_original_name_still_answers_for_an_hour(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=3600, public"
    assert response.data == (STATIC / "css/app.css").read_bytes()


def test_a_changed_file_gets_a_new_name_and_the_old_one_stays(tmp_path):
    source, target = tmp_path / "static", tmp_path / "built"
    (source / "css").mkdir(parents=True)
    sheet = source / "css" / "site.css"
    sheet.write_text("body { color: black; }\n" * 100)
    first = build(source, target)["css/site.css"]
    sheet.write_text("body { color: navy; }\n" * 100)
    second = build(source, target)["css/site.css"]

    assert first != second and first.startswith("css/site.") and first.endswith(".css")
    assert (target / first).read_text().startswith("body { color: black; }")
    assert (target / second).read_text().startswith("body { color: navy; }")
    assert (target / (second + ".br")).exists() and (target / (second + ".gz")).exists()


def test_a_file_that_does_not_shrink_is_not_stored_compressed(tmp_path):
    source, target = tmp_path / "static", tmp_path / "built"
    source.mkdir()
    (source / "tiny.css").write_text("a{}")
    name = build(source, target)["tiny.css"]
    assert not (target / (name + ".br")).exists()


def test_pages_are_compressed_when_the_browser_accepts_it(client):
    response = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Log in" in brotli.decompress(response.data).decode()
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "Content-Encoding" not in client.get("/login").headers


def test_the_favicon_address_points_at_the_current_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", response.headers["Location"])


def test_a_streamed_export_is_sent_as_it_is_written(client, people):
    client.login("ada")
    response = client.get("/admin/sessions.csv", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and response.is_streamed
    assert "Content-Encoding" not in response.headers
