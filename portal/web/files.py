"""Sending an uploaded file (a hand-in's attachment) back to the browser."""

from pathlib import Path

from flask import abort, current_app, send_file

from ..domain.hand_in import file_path


def send_upload(key: str | None, name: str):
    """The file stored under ``key`` in the upload folder, as a download named ``name``;
    404 when there is none. Never cached: it is one person's work."""
    if not key:
        abort(404)
    path = file_path(Path(current_app.config["UPLOAD_FOLDER"]), key)
    if not path.is_file():
        abort(404)
    response = send_file(path, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
