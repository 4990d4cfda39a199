"""``inspectpipe users add|passwd|disable|enable|list``: console accounts (audited)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

import sqlalchemy as sa

from pipeline.auth import ROLES, add_user, set_disabled, set_password
from pipeline.cli.app import App
from pipeline.db.schema import users
from pipeline.errors import UsageError


def register(sub: Any) -> None:
    """Add the ``users`` command group."""
    p: argparse.ArgumentParser = sub.add_parser("users", help="manage console accounts")
    us = p.add_subparsers(dest="users_command", metavar="ACTION")
    us.required = True
    add = us.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="reviewer", help="default: reviewer")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=run_add)
    pw = us.add_parser("passwd", help="set an account's password (ends its sessions)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw.set_defaults(func=run_passwd)
    dis = us.add_parser("disable", help="disable an account (ends its sessions)")
    dis.add_argument("username")
    dis.set_defaults(func=run_disable, disabled=True)
    en = us.add_parser("enable", help="re-enable a disabled account")
    en.add_argument("username")
    en.set_defaults(func=run_disable, disabled=False)
    ls = us.add_parser("list", help="list accounts")
    ls.set_defaults(func=run_list)


def _actor() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return f"cli:uid{os.getuid()}"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for a password; use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise UsageError("the passwords differ")
    return first


def run_add(args: argparse.Namespace, app: App) -> int:
    """Create an account."""
    password = _password(args)
    db = app.services.database
    add_user(db, args.username, password, args.role, actor=_actor(), now=app.services.clock())
    print(f"added {args.username} ({args.role})")
    return 0


def run_passwd(args: argparse.Namespace, app: App) -> int:
    """Change a password."""
    password = _password(args)
    set_password(
        app.services.database, args.username, password, actor=_actor(), now=app.services.clock()
    )
    print(f"password of {args.username} changed")
    return 0


def run_disable(args: argparse.Namespace, app: App) -> int:
    """Disable or enable an account."""
    set_disabled(
        app.services.database,
        args.username,
        args.disabled,
        actor=_actor(),
        now=app.services.clock(),
    )
    print(f"{args.username} {'disabled' if args.disabled else 'enabled'}")
    return 0


def run_list(args: argparse.Namespace, app: App) -> int:
    """Print each account: name, role, state."""
    with app.services.database.read() as conn:
        rows = conn.execute(
            sa.select(users.c.username, users.c.role, users.c.disabled).order_by(users.c.username)
        ).all()
    for name, role, disabled in rows:
        print(f"{name:<24}{role:<12}{'disabled' if disabled else 'enabled'}")
    return 0
