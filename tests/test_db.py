"""A statement run prepared gives what it gives run plainly, on every connection and after a
call that failed, and costs one query each time."""

import contextlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from spatheory.db import prepared_execute

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"),
]

# A literal percent sign, one parameter used twice, another once; each test's own statement,
# which the connection has not prepared yet.
STATEMENT = "SELECT %(n)s::int + 1, %(n)s::int * %(m)s::int, '100%%' AS {name}"


@pytest.fixture
def statement(request):
    return STATEMENT.format(name=request.node.name)


def run(statement: str, parameters: dict) -> tuple:
    with connection.cursor() as cursor:
        prepared_execute(connection, cursor, statement, parameters)
        return cursor.fetchone()


def prepared_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


def test_the_first_call_and_the_next_each_take_one_query_and_answer_as_the_plain_statement(
    statement,
):
    with connection.cursor() as cursor:
        cursor.execute(statement, {"n": 4, "m": 5})
        plain = cursor.fetchone()

    with CaptureQueriesContext(connection) as first:
        assert run(statement, {"n": 4, "m": 5}) == plain == (5, 20, "100%")
    with CaptureQueriesContext(connection) as second:
        assert run(statement, {"n": 6, "m": 7}) == (7, 42, "100%")

    assert len(first) == len(second) == 1
    assert "PREPARE" in first[0]["sql"]
    assert "PREPARE" not in second[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_the_statement_again(statement):
    run(statement, {"n": 1, "m": 1})
    connection.close()

    assert run(statement, {"n": 2, "m": 3}) == (3, 6, "100%")


def test_a_call_that_failed_after_preparing_does_not_leave_the_next_one_preparing_twice(
    statement,
):
    with pytest.raises(DatabaseError), transaction.atomic():
        run(statement, {"n": "not a number", "m": 1})
    before = prepared_here()

    assert run(statement, {"n": 2, "m": 2}) == (3, 4, "100%")
    assert prepared_here() == before


def test_a_call_in_a_failed_transaction_leaves_the_next_one_preparing(statement):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor, contextlib.suppress(DatabaseError):
            cursor.execute("SELECT 1 / 0")
        run(statement, {"n": 1, "m": 1})

    assert run(statement, {"n": 8, "m": 2}) == (9, 16, "100%")
