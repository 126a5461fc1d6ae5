"""Command-line tasks: create-admin, demo."""

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db
from .models import PlatformRole, User
from .passwords import hash_password, password_problem


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)


@click.command("create-admin")
@click.option("--username", prompt=True, help="Login name of the administrator.")
@click.option("--email", prompt=True, help="E-mail address.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (asked for when omitted).")
@click.option("--first-name", default="", help="First name.")
@click.option("--last-name", default="", help="Last name.")
def create_admin(username, email, password, first_name, last_name):
    """Create a platform administrator, or make an existing user one and reset their password."""
    problem = password_problem(password)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    username = User.normalise_username(username)
    email = User.normalise_email(email)
    if not username or "@" not in email:
        raise click.BadParameter("Give a username and a valid e-mail address.")
    user = db.session.scalar(select(User).where(User.username == username))
    clash = db.session.scalar(select(User).where(User.email == email))
    if clash is not None and clash is not user:
        raise click.BadParameter(f"{email} already belongs to {clash.username}.",
                                 param_hint="--email")
    if user is None:
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        db.session.add(user)
        verb = "Created"
    else:
        user.email = email
        verb = "Updated"
    user.role = PlatformRole.ADMIN.value
    user.active = True
    user.password_hash = hash_password(password)
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
    click.echo("Demo logins (username / password):")
    for role, username, password in DEMO_LOGINS:
        click.echo(f"  {role:<22} {username} / {password}")
