"""Loads the benchmark's data over HTTP: USERS users with PER_USER usages
each, and one user with LARGE usages. Writes their access tokens to OUT.

Usage: load.py USER_SERVICE_URL CARBON_SERVICE_URL USERS PER_USER LARGE OUT
"""
import json, sys, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
users_url, carbon, n_users, per_user, large, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
password = "bench-passphrase-1"
def call(url, data, headers):
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=60) as r:
        return r.status, r.read()
def sign_up(email):
    call(users_url + "/auth/register", json.dumps({"email": email, "password": password}).encode(), {"Content-Type": "application/json"})
    _, body = call(users_url + "/auth/jwt/login", urllib.parse.urlencode({"username": email, "password": password}).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(body)["access_token"]
tokens = [sign_up(f"bench-{i}@example.com") for i in range(n_users)]
large_token = sign_up("bench-large@example.com")
def create(job):
    token, i = job
    body = json.dumps({"amount": (i % 50) + 0.5, "usage_type_id": 100 + i % 5,
                       "usage_at": f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}).encode()
    status, _ = call(carbon + "/usages", body, {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    assert status == 201
jobs = [(t, i) for t in tokens for i in range(per_user)] + [(large_token, i) for i in range(large)]
with ThreadPoolExecutor(16) as pool:
    list(pool.map(create, jobs))
json.dump({"listed": tokens[0], "writer": tokens[1], "large": large_token}, open(out, "w"))
