from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
