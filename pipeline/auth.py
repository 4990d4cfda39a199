"""Console accounts: argon2 password hashes, roles, and audited account changes.

Roles are ordered: ``reviewer`` < ``supervisor`` < ``admin``; a role grants everything the ones
before it do. Passwords are hashed with argon2id (argon2-cffi's defaults) and rehashed on login
when those defaults get stronger. Every account change is appended to the audit trail.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipeline.db import audit
from pipeline.db.schema import ended_sessions, users
from pipeline.errors import Conflict, ObjectNotFound, UsageError

if TYPE_CHECKING:
    from pipeline.db import Database

ROLES: tuple[str, ...] = ("reviewer", "supervisor", "admin")
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs what a wrong password does.
_DUMMY_HASH = _hasher.hash("inspectpipe-no-such-user")


@dataclass(frozen=True)
class User:
    """A console account as the console needs it."""

    id: int
    username: str
    role: str
    disabled: bool
    password_hash: str

    @property
    def fingerprint(self) -> str:
        """A short digest of the password hash: sessions carry it, so a new password ends them."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def has_role(self, minimum: str) -> bool:
        """Whether this user's role is ``minimum`` or above."""
        return role_rank(self.role) >= role_rank(minimum)


def role_rank(role: str) -> int:
    """The position of a role (UsageError for an unknown one)."""
    try:
        return ROLES.index(role)
    except ValueError:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, not {role!r}") from None


def hash_password(password: str) -> str:
    """An argon2id hash of a password that meets the length rule."""
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def get_user(db: Database, username: str) -> User | None:
    """The account named ``username``, or None."""
    with db.read() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    if row is None:
        return None
    return User(
        row["id"], row["username"], row["role"], bool(row["disabled"]), row["password_hash"]
    )


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The enabled account if the password is right, else None (timing does not tell which)."""
    user = get_user(db, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with db.begin() as conn:
            conn.execute(
                users.update()
                .where(users.c.id == user.id)
                .values(password_hash=_hasher.hash(password))
            )
        return get_user(db, username)
    return user


def add_user(
    db: Database, username: str, password: str, role: str, *, actor: str, now: datetime
) -> User:
    """Create an account; Conflict if the name is taken."""
    if not _USERNAME.match(username):
        raise UsageError("user names are 2-64 letters, digits, '.', '_' or '-'")
    role_rank(role)
    hashed = hash_password(password)
    with db.begin() as conn:
        taken = conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if taken is not None:
            raise Conflict(f"user {username!r} already exists")
        conn.execute(
            users.insert().values(
                username=username, password_hash=hashed, role=role, disabled=False, created_at=now
            )
        )
        _audit(conn, actor, "user.added", username, None, "enabled", {"role": role}, now)
    user = get_user(db, username)
    if user is None:  # only if someone deleted it in between
        raise ObjectNotFound(f"user {username!r} vanished after it was added")
    return user


def set_password(db: Database, username: str, password: str, *, actor: str, now: datetime) -> None:
    """Replace an account's password (ending its sessions)."""
    hashed = hash_password(password)
    with db.begin() as conn:
        done = conn.execute(
            users.update().where(users.c.username == username).values(password_hash=hashed)
        )
        if done.rowcount != 1:
            raise ObjectNotFound(f"user {username!r} does not exist")
        _audit(conn, actor, "user.password_changed", username, None, None, {}, now)


def set_disabled(db: Database, username: str, disabled: bool, *, actor: str, now: datetime) -> None:
    """Disable (ending its sessions) or re-enable an account."""
    with db.begin() as conn:
        done = conn.execute(
            users.update().where(users.c.username == username).values(disabled=disabled)
        )
        if done.rowcount != 1:
            raise ObjectNotFound(f"user {username!r} does not exist")
        state = "disabled" if disabled else "enabled"
        _audit(conn, actor, f"user.{state}", username, None, state, {}, now)


def _audit(
    conn: sa.Connection,
    actor: str,
    action: str,
    username: str,
    from_state: str | None,
    to_state: str | None,
    detail: dict[str, str],
    now: datetime,
) -> None:
    audit.append(
        conn,
        actor=actor,
        action=action,
        entity="user",
        entity_id=username,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
        at=now,
    )


def end_session(db: Database, sid: str, username: str, expires: datetime, now: datetime) -> None:
    """Record that session ``sid`` was ended (signed out): its token is refused from now on,
    wherever it was copied to. Rows of sessions that have expired anyway are removed."""
    with db.begin() as conn:
        conn.execute(ended_sessions.delete().where(ended_sessions.c.expires_at < now))
        exists = conn.execute(
            sa.select(ended_sessions.c.sid).where(ended_sessions.c.sid == sid)
        ).first()
        if exists is None:
            conn.execute(
                ended_sessions.insert().values(sid=sid, username=username, expires_at=expires)
            )


def session_ended(db: Database, sid: str) -> bool:
    """Whether session ``sid`` was ended by signing out."""
    with db.read() as conn:
        row = conn.execute(
            sa.select(ended_sessions.c.sid).where(ended_sessions.c.sid == sid)
        ).first()
    return row is not None
