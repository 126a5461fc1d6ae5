"""Make sure a database holds the scale data set, generating it when missing (`make bench`).

    python bench/scale_db.py URL [--factor 1.0]

URL is a SQLite file (its folder is made) or a PostgreSQL database (created when it does
not exist). A database without tables is migrated (``flask db upgrade``), an empty one
filled (``flask --app portal scale-data --factor``: 10,000 sessions, 50,000 users,
1,000,000 enrolments at 1.0, some minutes); one that already has the scale data is left
as it is (its history, the journal and the outbox, added if it was generated without it:
``scale-data --history``), and one with other data is refused (the generator needs an
empty database).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.config import database_url_from_env  # noqa: E402
from portal.tools.scale_data import BIG_SESSION  # noqa: E402


def _flask(url: str, *command: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    flask = [sys.executable, "-m", "flask", "--app", "portal", *command]
    subprocess.run(flask, check=True, cwd=ROOT, env=env)  # noqa: S603 - our own command


def ensure(url: str, factor: float) -> str:
    """What was done: "kept", or "generated"."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": parsed.database}).scalar()
            if not exists:
                print(f"creating the database {parsed.database}", flush=True)
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    engine = create_engine(url)
    history = False
    try:
        with engine.connect() as conn:
            if "user" in inspect(conn).get_table_names():
                if conn.execute(text("SELECT 1 FROM training_session WHERE name = :name"),
                                {"name": BIG_SESSION}).scalar():
                    if conn.execute(text("SELECT 1 FROM journal_entry LIMIT 1")).scalar():
                        return "kept"
                    history = True
                if conn.execute(text('SELECT COUNT(*) FROM "user"')).scalar():
                    raise SystemExit(f"{parsed.render_as_string()} holds other data than the "
                                     "scale data set: name an empty or a scale database.")
    finally:
        engine.dispose()
    if history:
        print("adding the scale data's history (journal and outbox)", flush=True)
        _flask(url, "scale-data", "--history", "--factor", str(factor))
        return "kept, its history added"
    print("migrating, then generating the scale data (some minutes at --factor 1)", flush=True)
    _flask(url, "db", "upgrade")
    _flask(url, "scale-data", "--factor", str(factor))
    return "generated"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--factor", type=float, default=1.0)
    args = parser.parse_args()
    url = database_url_from_env(args.database_url)
    done = ensure(url, args.factor)
    print(f"scale data {done}: {make_url(url).render_as_string()}")


if __name__ == "__main__":
    main()
