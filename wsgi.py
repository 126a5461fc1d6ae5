"""Entry point for WSGI servers: gunicorn 'wsgi:app'."""

from portal import create_app

app = create_app()
