"""Minimal reproduction: SecantusDB's index scan costs time in proportion to
every key inside its bounds, even when a LIMIT stops after a few (MongoDB's
scan streams and stops at the limit). `explain` reports 11 keys examined in
both cases, yet the call takes several times longer for the larger user.

    python3 bench/secantus_index_scan.py mongodb://127.0.0.1:PORT/

Needs pymongo. Creates and drops the database `secantus_repro`.
"""
import datetime, sys, time

import pymongo

client = pymongo.MongoClient(sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/")
db = client.secantus_repro
try:
    docs = db.docs
    docs.create_index([("user_id", 1), ("at", -1), ("_id", -1)], name="user_at")
    start = datetime.datetime(2026, 1, 1)
    for user, n in [("small", 1_000), ("large", 10_000)]:
        docs.insert_many({"user_id": user, "at": start + datetime.timedelta(minutes=i)} for i in range(n))
    for user in ["small", "large"]:
        query = lambda: list(docs.find({"user_id": user}).sort([("at", -1), ("_id", -1)]).limit(11).hint("user_at"))
        query()
        t = time.perf_counter()
        for _ in range(30):
            query()
        ms = (time.perf_counter() - t) / 30 * 1000
        stats = db.command("explain", {"find": "docs", "filter": {"user_id": user}, "sort": {"at": -1, "_id": -1},
                                       "limit": 11, "hint": "user_at"}, verbosity="executionStats")["executionStats"]
        print(f"{user:>5}: {ms:6.2f} ms per query, keys examined {stats['totalKeysExamined']}, docs {stats['totalDocsExamined']}")
finally:
    client.drop_database("secantus_repro")
