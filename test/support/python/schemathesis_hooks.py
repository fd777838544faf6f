"""Schemathesis hooks for the gateway's OpenAPI document: named by schemathesis.toml for `st run` from the
repository's root, and by SCHEMATHESIS_HOOKS in test/e2e/openapi-contract.test.ts.

One rule of the gateway is no JSON Schema's to state: an event's timestamp must lie within a window around
the gateway's clock (PULSE_MAX_EVENT_AGE in the past, PULSE_MAX_CLOCK_SKEW in the future). The document
says so in words and asks for an RFC 3339 date-time; Schemathesis draws date-times from years 0001-9999,
which the gateway rightly refuses with 400 timestamp_out_of_range.

So, before each request, an envelope timestamp that is a well-formed date-time is moved into the last six
hours, keeping its shape (the same zone offset and fraction digits) and, from where it was, a position in
those hours, so that runs with the same seed send the same requests. A timestamp that is not a date-time
(what negative cases send) is left as generated, and nothing else is touched: every check still applies to
everything else, and a negative case reaches the check it was made for. The window itself is covered by
test/unit/track-request.test.ts.
"""

import re
import time
from datetime import datetime, timedelta, timezone

import schemathesis

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
SPAN_SECONDS = 6 * 3600
NEWEST_SECONDS_AGO = 60


def _parse(value):
    """The instant, offset and fraction width of an RFC 3339 date-time, or None."""
    m = RFC3339.match(value)
    if not m:
        return None
    try:
        sign = -1 if m.group(9) == "-" else 1
        offset = timedelta(minutes=sign * (int(m.group(10) or 0) * 60 + int(m.group(11) or 0)))
        local = datetime(*(int(m.group(i)) for i in range(1, 6)), min(int(m.group(6)), 59), tzinfo=timezone(offset))
    except ValueError:
        return None
    return local, m.group(8), offset, len(m.group(7) or "")


def _into_window(value):
    parsed = _parse(value)
    if parsed is None:
        return value
    local, zulu, offset, digits = parsed
    now = time.time()
    seconds_ago = NEWEST_SECONDS_AGO + int(local.timestamp()) % (SPAN_SECONDS - NEWEST_SECONDS_AGO)
    moved = datetime.fromtimestamp(now - seconds_ago, tz=timezone(offset))
    text = moved.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moved.microsecond:06d}"[:digits].ljust(digits, "0")
    if zulu:
        return text + zulu
    total = int(offset.total_seconds() // 60)
    return text + f"{'-' if total < 0 else '+'}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("timestamp"), str):
        body["timestamp"] = _into_window(body["timestamp"])
