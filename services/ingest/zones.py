"""What a zone name in a feed's date means, when feedparser does not know it ("CET", "JST",
"Europe/Berlin": feedparser reads the time as UTC, hours off).

The IANA time-zone database (the `tzdata` package, or the system's) answers. A zone's own name
("Europe/Berlin") gives its offset at that time, summer time included. An abbreviation gives an
offset only when every zone that uses it that year uses it with the same one: "CET" is +01:00
and "JST" +09:00, while "IST" is India's, Ireland's and Israel's, so it gives none.
"""

import zoneinfo
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache

# A winter and a summer of each hemisphere: the abbreviations each zone uses in a year.
_SAMPLE_MONTHS = (1, 7)
# Years whose abbreviations are worked out (a few ms each, then kept); a date outside is read
# with the nearest one's. A feed of dates over thousands of years would otherwise cost seconds.
_FIRST_YEAR, _LAST_YEAR = 1970, 2037


def utc_offset(name: str, local: datetime) -> timedelta | None:
    """The offset from UTC that `name` stands for at the naive `local` time; None when the
    database has no such name, or the name stands for several offsets."""
    if "/" in name:
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
            return None  # not a zone, or a key that is no path the database may read
        return local.replace(tzinfo=zone).utcoffset()
    year = min(max(local.year, _FIRST_YEAR), _LAST_YEAR)
    offsets = _abbreviations(year).get(name.upper(), ())
    return next(iter(offsets)) if len(offsets) == 1 else None


@cache
def _abbreviations(year: int) -> dict[str, frozenset[timedelta]]:
    """Each alphabetic abbreviation the database's zones use in `year`, with its offsets."""
    offsets: defaultdict[str, set[timedelta]] = defaultdict(set)
    for zone in _zones():
        for month in _SAMPLE_MONTHS:
            moment = datetime(year, month, 15, 12, tzinfo=UTC).astimezone(zone)
            name, offset = moment.tzname(), moment.utcoffset()
            if name and name.isalpha() and offset is not None:
                offsets[name.upper()].add(offset)
    return {name: frozenset(found) for name, found in offsets.items()}


@cache
def _zones() -> tuple[zoneinfo.ZoneInfo, ...]:
    """Every zone of the database, read once: listing them walks its directory, and zoneinfo
    keeps only the last few it loaded."""
    return tuple(zoneinfo.ZoneInfo(key) for key in zoneinfo.available_timezones())
