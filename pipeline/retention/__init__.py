"""Retention per inspection cycle: cycle table, retain-until dates, the sweeper, legal holds.

- :mod:`pipeline.retention.cycles`: the 检验周期 table from ``config/cycles.toml``, due dates;
- :mod:`pipeline.retention.policy`: retain-until = next due date + grace (``explain``);
- :mod:`pipeline.retention.record`: the date on the inspection row and, on MinIO, the objects;
- :mod:`pipeline.retention.sweep`: delete what is past retain-until and not held, audited;
- :mod:`pipeline.retention.hold`: legal hold set/release by a supervisor, audited.
"""
