"""Alembic environment for inspectpipe: always online, on the connection the caller passes.

:mod:`pipeline.db.migrate` puts an open connection (already in a transaction) into
``config.attributes["connection"]``; there is no ini file and no logging set-up here.
"""

from __future__ import annotations

from alembic import context

from pipeline.db.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through pipeline.db (open_database(...).upgrade())")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
