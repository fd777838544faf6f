"""Sends track, identify and group calls to a Pulse gateway through Segment's or RudderStack's own Python
library, as a producer switching to Pulse would (only the host changes), for test/e2e/segment-sdks.test.ts.

Usage: python segment_sdks.py segment|rudder HOST WRITE_KEY ACCOUNT USER
Prints one JSON line: {"errors": [...]}, every delivery error the library reported through on_error.
"""

import json
import sys

library, host, write_key, account, user = sys.argv[1:6]
errors = []


def on_error(error, batch):
    errors.append({"error": repr(error), "messages": len(batch)})


if library == "segment":
    from segment.analytics import Client
else:
    from rudderstack.analytics import Client

# Retries would hide a refusal behind minutes of backoff; a delivery error should show at once.
client = Client(write_key, host=host, on_error=on_error, max_retries=1, upload_interval=0.1)
group = {"groupId": account}
client.track(user, "feature_used", {"feature": "reports.export", "durationMs": 1200}, context=dict(group))
client.identify(user, {"email": f"{user}@example.com", "name": "Ada Lovelace", "plan": "pro"}, context=dict(group))
client.group(user, account, {"name": f"Acme {library}", "industry": "fintech", "employees": 120})
# Drift: the catalog says feature is a string. Refused by Pulse and reported, yet no delivery error.
client.track(user, "feature_used", {"feature": 42}, context=dict(group))
client.flush()
client.join()
print(json.dumps({"errors": errors}))
