"""Database pieces shared by the apps: the engine's minutes as the database computes them, and
running a constant statement as a PostgreSQL prepared statement."""

import re
import zlib
from functools import lru_cache

from django.db.models import BigIntegerField, Func


class EpochMinutes(Func):
    """Whole minutes since 1970 (UTC), floored: the availability engine's unit of time. An
    immutable expression on PostgreSQL (the interval since the epoch rather than the epoch of a
    ``timestamptz``, which PostgreSQL ranks only stable), so it can define a stored generated
    column, and SQLite's ``strftime``, deterministic without 'now'."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "floor(date_part('epoch', %(expressions)s - to_timestamp(0)) / 60)::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # strftime's %s, escaped once for this template and once for the query's parameters.
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)


PARAMETER = re.compile(r"%%|%\((\w+)\)s")


@lru_cache(maxsize=64)
def _statement_parts(sql: str) -> tuple[str, str, str]:
    """The prepared statement's name, its ``EXECUTE`` (with the parameters as ``%(name)s``) and
    its ``PREPARE`` (with them as ``$1``, ``$2``... in order of first use)."""
    names = list(dict.fromkeys(name for name in PARAMETER.findall(sql) if name))
    statement = f"prepared_{zlib.crc32(sql.encode()):08x}"
    execute = f"EXECUTE {statement} ({', '.join(f'%({name})s' for name in names)})"
    positions = {name: index for index, name in enumerate(names, start=1)}
    body = PARAMETER.sub(lambda match: f"${positions[match[1]]}" if match[1] else "%%", sql)
    return statement, execute, f"PREPARE {statement} AS {body}"


def prepared_execute(connection, cursor, sql: str, parameters: dict) -> None:
    """``cursor.execute(sql, parameters)`` through a prepared statement of the connection's
    PostgreSQL session, so a statement that costs more to plan than to run (the calendars'
    lateral joins) is planned once per connection rather than on every call.

    ``sql`` is a constant with ``%(name)s`` parameters. The first call on a connection sends
    ``PREPARE`` and ``EXECUTE`` together, one query either way. A prepared statement outlives
    a rolled-back transaction and goes with the session, so what has been prepared is
    remembered per underlying connection; after a call that failed, whether the statement
    exists is asked of the session before it is used again. Prepared statements do not
    survive a pooler that shares sessions between clients (PgBouncer in transaction mode),
    which this project does not use."""
    statement, execute, prepare = _statement_parts(sql)
    raw = connection.connection
    known = getattr(connection, "_prepared_statements", None)
    if known is None or known[0] is not raw:
        known = connection._prepared_statements = (raw, {})
    prepared = known[1]
    if statement in prepared and prepared[statement] is None:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [statement])
        prepared[statement] = cursor.fetchone() is not None
    if not prepared.get(statement):
        execute = f"{prepare}; {execute}"
    try:
        cursor.execute(execute, parameters)
    except Exception:
        prepared[statement] = None
        raise
    prepared[statement] = True
