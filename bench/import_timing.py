"""Times 10,000-row imports into two carbon-service instances, one on a
database that syncs its log on every commit and one that does not.

Usage: import_timing.py USER_SERVICE_URL SYNCED_URL UNSYNCED_URL IMPORTS
Prints {"synced": [seconds...], "unsynced": [seconds...]} as JSON.
"""
import json, sys, time, urllib.parse, urllib.request
users_url, synced, unsynced, imports = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
email, password = "bench-durability@example.com", "bench-passphrase-1"
def call(url, data, headers):
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=120) as r:
        return r.status, r.read()
call(users_url + "/auth/register", json.dumps({"email": email, "password": password}).encode(), {"Content-Type": "application/json"})
_, body = call(users_url + "/auth/jwt/login", urllib.parse.urlencode({"username": email, "password": password}).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
token = json.loads(body)["access_token"]
csv = "usage_at,usage_type_id,amount\n" + "".join(
    f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z,{100 + i % 5},{(i % 50) + 0.5}\n" for i in range(10_000))
timings = {"synced": [], "unsynced": []}
# Alternating, so that drift in the machine's speed falls on both alike.
for _ in range(imports):
    for name, carbon in (("synced", synced), ("unsynced", unsynced)):
        began = time.monotonic()
        status, body = call(carbon + "/usages/import", csv.encode(), {"Content-Type": "text/csv", "Authorization": "Bearer " + token})
        timings[name].append(time.monotonic() - began)
        assert status == 201 and json.loads(body)["imported"] == 10_000, body
print(json.dumps(timings))
