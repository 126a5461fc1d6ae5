"""Command-line tasks: create-admin, demo, worker."""

from datetime import datetime

import click
from flask import Flask
from sqlalchemy import select

from .. import clock
from ..domain import journal, users
from ..domain.passwords import password_problem
from ..extensions import db
from ..models import PlatformRole, User


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
    app.cli.add_command(scale_data)
    app.cli.add_command(worker)


@click.command("create-admin")
@click.option("--username", prompt=True, help="Login name of the administrator.")
@click.option("--email", prompt=True, help="E-mail address.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (asked for when omitted).")
@click.option("--first-name", default="", help="First name.")
@click.option("--last-name", default="", help="Last name.")
def create_admin(username, email, password, first_name, last_name):
    """Create a platform administrator, or make an existing user one and reset their password."""
    problem = password_problem(password, (username, email, first_name, last_name))
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    username = User.normalise_username(username)
    email = User.normalise_email(email)
    if not username or "@" not in email:
        raise click.BadParameter("Give a username and a valid e-mail address.")
    user = users.find_by_username(db.session, username)
    clash = users.find_by_email(db.session, email)
    if clash is not None and clash is not user:
        raise click.BadParameter(f"{email} already belongs to {clash.username}.",
                                 param_hint="--email")
    now = clock.now()
    if user is None:
        values = users.UserValues(username, email, first_name, last_name,
                                  role=PlatformRole.ADMIN.value, password=password)
        users.create_user(db.session, values, by=journal.SYSTEM, now=now)
        verb = "Created"
    else:
        values = users.UserValues(username, email, user.first_name, user.last_name,
                                  role=PlatformRole.ADMIN.value, timezone=user.timezone,
                                  password=password)
        users.update_user(db.session, user, values, by=journal.SYSTEM, now=now)
        verb = "Updated"
    db.session.commit()
    click.echo(f"{verb} administrator {username}.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no user.")
def demo(if_empty):
    """Load realistic demo data (idempotent) and print the demo logins."""
    from .demo import DEMO_LOGINS, load_demo

    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("The database already has users: demo data not loaded.")
    else:
        counts = load_demo(db.session)
        click.echo("Demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    present = set(db.session.scalars(
        select(User.username).where(User.username.in_([u for _, u, _ in DEMO_LOGINS]))
    ))
    if not present:
        click.echo("This database was not filled with the demo: log in with your own accounts.")
        return
    click.echo("Demo logins (username / password):")
    for role, username, password in DEMO_LOGINS:
        if username in present:
            click.echo(f"  {role:<22} {username} / {password}")


@click.command("scale-data")
@click.option("--factor", default=1.0, show_default=True, type=click.FloatRange(0.0001, 1.0),
              help="Scale every count down, e.g. 0.01 for a quick run.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@click.option("--history", is_flag=True,
              help="Only add the journal and messages to data generated without them.")
def scale_data(factor, seed, history):
    """Fill an EMPTY database with the seeded benchmark data set (10,000 sessions at 1.0)."""
    import time

    from .scale_data import add_missing_history, generate

    if history:
        try:
            counts = add_missing_history(db.engine, clock.now(), factor)
        except RuntimeError as error:
            raise click.ClickException(str(error)) from error
        click.echo(", ".join(f"{n:,} {table}" for table, n in counts.items()))
        return
    started = time.perf_counter()
    with click.progressbar(length=11, label="Generating", show_pos=True) as bar:

        def progress(step: str, rows: int) -> None:
            if rows:
                bar.label = f"{step}: {rows:,} rows"
                bar.update(1)

        try:
            counts = generate(db.engine, clock.now(), factor=factor, seed=seed, progress=progress)
        except RuntimeError as error:
            raise click.ClickException(str(error)) from error
    click.echo(", ".join(f"{n:,} {table}" for table, n in counts.items()))
    click.echo(f"Done in {time.perf_counter() - started:.1f} s. Log in as scaleadmin / "
               f"scale-admin-2026 (every generated user has that password).")


@click.command("worker")
@click.option("--drain", is_flag=True, help="Deliver what is due, then stop.")
@click.option("--batch", default=200, show_default=True, help="Messages claimed at a time.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks when idle.")
@click.option("--now", "now_text", default=None, metavar="ISO-8601",
              help="Run as if it were this instant (tests, and replaying a day's schedule).")
def worker(drain, batch, poll, now_text):
    """Deliver the outbox's messages and run the schedule (stops on SIGTERM or Ctrl-C)."""
    from flask import current_app

    from ..worker import run_worker

    if now_text:
        try:
            clock.set_now(datetime.fromisoformat(now_text))
        except ValueError as error:
            raise click.BadParameter(f"{error}; write e.g. 2026-12-01T09:00+00:00",
                                     param_hint="--now") from error
    app = current_app._get_current_object()
    delivered = run_worker(app, drain=drain, batch=batch, poll_seconds=poll)
    click.echo(f"Worker stopped: {delivered} message(s) handed over.")
