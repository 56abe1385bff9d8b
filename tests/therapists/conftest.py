from datetime import datetime

import pytest

from tests.conftest import ATLANTA


@pytest.fixture
def june_15_noon(time_machine):
    """The clock at noon on Monday, June 15 2026 in Atlanta (and running). Files opt in with
    ``pytest.mark.usefixtures("june_15_noon")``."""
    time_machine.move_to(datetime(2026, 6, 15, 12, tzinfo=ATLANTA))
