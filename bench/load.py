"""Loads the benchmark's data over HTTP: USERS users with PER_USER usages
each (one POST /usages per usage), one user with LARGE usages and an
organization with HUGE usages (both through POST /usages/import, 10,000
rows per import, each import timed; the organization's by its owner, who
logs in again for each: an owner's token lives 5 minutes). Writes the access
tokens, the organization's id and the import timings to OUT.

Usage: load.py USER_SERVICE_URL CARBON_SERVICE_URL USERS PER_USER LARGE HUGE OUT
"""
import json, sys, time, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
users_url, carbon = sys.argv[1], sys.argv[2]
n_users, per_user, large, huge = (int(a) for a in sys.argv[3:7])
out = sys.argv[7]
password = "bench-passphrase-1"
IMPORT_ROWS = 10_000
def call(url, data, headers):
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=120) as r:
        return r.status, r.read()
def log_in(email, org=None):
    form = {"username": email, "password": password}
    if org:
        form["org_id"] = org
    _, body = call(users_url + "/auth/jwt/login", urllib.parse.urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(body)["access_token"]
def sign_up(email):
    call(users_url + "/auth/register", json.dumps({"email": email, "password": password}).encode(), {"Content-Type": "application/json"})
    return log_in(email)
def usage_at(i):
    # Spread over January to October 2026: inside the summary's calendar year.
    return f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}T{i % 24:02d}:{(i // 24) % 60:02d}:00Z"
tokens = [sign_up(f"bench-{i}@example.com") for i in range(n_users)]
large_token = sign_up("bench-large@example.com")
owner_token = sign_up("bench-huge@example.com")
_, org_body = call(users_url + "/orgs", json.dumps({"name": "Bench Org"}).encode(), {"Content-Type": "application/json", "Authorization": "Bearer " + owner_token})
org = json.loads(org_body)["id"]
def create(job):
    token, i = job
    body = json.dumps({"amount": (i % 50) + 0.5, "usage_type_id": 100 + i % 5, "usage_at": usage_at(i)}).encode()
    status, _ = call(carbon + "/usages", body, {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    assert status == 201
with ThreadPoolExecutor(16) as pool:
    list(pool.map(create, [(t, i) for t in tokens for i in range(per_user)]))
import_seconds = []
def import_usages(token_of, total):
    for start in range(0, total, IMPORT_ROWS):
        token = token_of()
        rows = range(start, min(total, start + IMPORT_ROWS))
        csv = "usage_at,usage_type_id,amount\n" + "".join(f"{usage_at(i)},{100 + i % 5},{(i % 50) + 0.5}\n" for i in rows)
        began = time.monotonic()
        status, body = call(carbon + "/usages/import", csv.encode(), {"Content-Type": "text/csv", "Authorization": "Bearer " + token})
        import_seconds.append(time.monotonic() - began)
        assert status == 201 and json.loads(body)["imported"] == len(rows), body
import_usages(lambda: large_token, large)
import_usages(lambda: log_in("bench-huge@example.com", org), huge)
json.dump({"listed": tokens[0], "writer": tokens[1], "large": large_token, "huge_org": org,
           "import_seconds": import_seconds}, open(out, "w"))
