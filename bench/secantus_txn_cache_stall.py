"""Minimal reproduction: on a freshly started SecantusDB, the first
transaction too large for its cache stalls for about a minute and then
fails with `InternalError` (code 1); the next ones fail at once with
`TransactionTooLargeForCache` (code 388), as MongoDB fails every one of
them. A client can answer 388 with "retry later"; a minute's stall and an
internal error it cannot.

    secantusd-rs --port 0 --storage-path /tmp/stall --cache-size 32M
    python3 bench/secantus_txn_cache_stall.py mongodb://127.0.0.1:PORT/ 10000

Measured with 0.5.3-beta.196 (a fresh server each time, 1,000 rows of about
400 bytes per insert, one index): 32 MB cache, 10,000 rows: InternalError
after 61 s, then 20,000 and 40,000 rows: 388 after 0.2 s; 256 MB cache,
10,000 rows commit in 0.4 s, 20,000 rows: InternalError after 62 s, then
40,000 rows: 388 after 1.0 s. Needs pymongo. Drops `txn_cache_stall` after.
"""
import sys, time

import pymongo

client = pymongo.MongoClient(sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/")
db = client.txn_cache_stall
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
db.docs.create_index([("user", 1), ("at", -1), ("_id", -1)])
began = time.monotonic()
try:
    with client.start_session() as session:
        with session.start_transaction():
            for first in range(0, rows, 1_000):
                db.docs.insert_many([{"user": "u", "at": i, "pad": "x" * 380} for i in range(first, first + 1_000)],
                                    session=session)
    print(f"committed {rows} rows in {time.monotonic() - began:.1f} s")
except pymongo.errors.OperationFailure as e:
    print(f"failed after {time.monotonic() - began:.1f} s: code {e.code} {e.details.get('codeName')}")
finally:
    client.drop_database("txn_cache_stall")
