from datetime import datetime, timedelta

import pytest

from services.ingest.zones import utc_offset

WINTER = datetime(2026, 1, 15, 10, 0)
SUMMER = datetime(2026, 7, 15, 10, 0)


@pytest.mark.parametrize(
    ("name", "winter", "summer"),
    [
        ("CET", 1, 1),  # an abbreviation means one offset, summer or not
        ("cest", 2, 2),
        ("AEST", 10, 10),
        ("MSK", 3, 3),
        ("Europe/Berlin", 1, 2),  # a zone's own name follows its summer time
        ("Australia/Sydney", 11, 10),
        ("America/St_Johns", -3.5, -2.5),
    ],
)
def test_names_the_database_gives_one_offset(name: str, winter: float, summer: float) -> None:
    assert utc_offset(name, WINTER) == timedelta(hours=winter)
    assert utc_offset(name, SUMMER) == timedelta(hours=summer)


@pytest.mark.parametrize(
    "name",
    [
        "IST",  # India, Ireland, Israel
        "CST",  # the US's Central, China, Cuba
        "MEZ",  # German for CET, not in the database
        "Mars/Olympus_Mons",
        "Europe/../../etc/passwd",
        "/etc/passwd",
        "Europe/",
    ],
)
def test_other_names_give_none(name: str) -> None:
    assert utc_offset(name, WINTER) is None


def test_dates_of_any_year_are_read() -> None:
    assert utc_offset("CET", datetime(1, 1, 1)) == timedelta(hours=1)
    assert utc_offset("JST", datetime(9999, 12, 31)) == timedelta(hours=9)
