"""Static files: named by their content, compressed ahead of time, cached for good.

Each file of ``static/`` gets a copy named by its content ("css/app.css" becomes
"css/app.3f2a9c01d4be.css") with its gzip and brotli forms beside it, in the instance
folder; pages link to those names (``url_for("static", ...)`` gives them), so a browser may
keep a file forever and a change reaches it at once under its new name. WhiteNoise serves
them before the app sees the request: the compressed form the browser accepts, with
``Cache-Control: immutable``. The original names stay served too, cached for an hour, for
links made outside the portal.

The copies are made when the app starts, only for files not copied yet; every server
makes the same names from the same content, and each file is written under a temporary
name and renamed, so servers and workers starting together never read a half-written one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

ORIGINAL_MAX_AGE = 3600
_COMPRESSED = (".gz", ".br")


def content_name(relative: str, data: bytes) -> str:
    """``relative`` with 12 hex digits of its content's SHA-256 before the extension."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem, dot, extension = relative.rpartition(".")
    if dot and "/" not in extension:
        return f"{stem}.{digest}.{extension}"
    return f"{relative}.{digest}"


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy every file of ``source`` into ``target`` under its content name, with its
    compressed forms where they are smaller; the names, original -> content name."""
    compressor = Compressor(quiet=True)
    names = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source).as_posix()
        if relative.endswith(_COMPRESSED) or relative.startswith("."):
            continue
        data = path.read_bytes()
        name = content_name(relative, data)
        names[relative] = name
        copy = target / name
        _write_once(copy, data)
        if not compressor.should_compress(relative):
            continue
        for suffix, compress in ((".gz", compressor.compress_gzip),
                                 (".br", compressor.compress_brotli)):
            variant = copy.with_name(copy.name + suffix)
            if variant.exists():
                continue
            packed = compress(data)
            if len(packed) < len(data) * 0.95:  # else the browser gets the file itself
                _write_once(variant, packed)
    return names


@functools.cache
def _built(source: str, target: str, _state: tuple) -> dict[str, str]:
    return build(Path(source), Path(target))


def _state(source: Path) -> tuple:
    """What changes when a file is added, removed or edited (a new build is needed)."""
    return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                        for p in source.rglob("*") if p.is_file()))


def serve_static_files(app: Flask) -> None:
    source = Path(app.static_folder)
    target = Path(app.instance_path) / "static"
    names = _built(str(source), str(target), _state(source))
    content_names = {"/static/" + name for name in names.values()}
    static = WhiteNoise(app.wsgi_app, max_age=ORIGINAL_MAX_AGE,
                        immutable_file_test=lambda _path, url: url in content_names,
                        add_headers_function=_file_headers)
    static.add_files(str(source), prefix="static/")
    static.add_files(str(target), prefix="static/")
    app.wsgi_app = static

    @app.url_defaults
    def link_content_names(endpoint, values):
        if endpoint == "static" and values.get("filename") in names:
            values["filename"] = names[values["filename"]]


def _file_headers(headers, _path, _url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
