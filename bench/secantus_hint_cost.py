"""Minimal reproduction: on SecantusDB a `hint`ed find costs time in
proportion to the whole index (every other user's keys too), while the same
query left to the planner costs the same however much else the collection
holds. On MongoDB a hint only skips plan selection.

    python3 bench/secantus_hint_cost.py mongodb://127.0.0.1:PORT/

Needs pymongo. Creates and drops the database `secantus_hint_repro`.
Measured here (0.5.3-beta.196): 0 / 10,000 / 30,000 other documents ->
hinted 2.1 / 5.3 / 11.6 ms, planner 3.3 / 3.3 / 3.4 ms.
"""
import datetime, sys, time

import pymongo

client = pymongo.MongoClient(sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/")
db = client.secantus_hint_repro


def per_query_ms(query, runs=20):
    query()
    start = time.perf_counter()
    for _ in range(runs):
        query()
    return (time.perf_counter() - start) / runs * 1000


try:
    docs = db.docs
    docs.create_index([("user_id", 1), ("at", -1), ("_id", -1)], name="user_at")
    start = datetime.datetime(2026, 1, 1)
    docs.insert_many({"user_id": "listed", "at": start + datetime.timedelta(minutes=i)} for i in range(2_000))
    newest_first = [("at", -1), ("_id", -1)]
    for others in [0, 10_000, 30_000]:
        missing = others - (docs.count_documents({}) - 2_000)
        if missing:
            docs.insert_many({"user_id": f"other-{i % 7}", "at": start + datetime.timedelta(minutes=i)} for i in range(missing))
        hinted = per_query_ms(lambda: list(docs.find({"user_id": "listed"}).sort(newest_first).limit(11).hint("user_at")))
        planned = per_query_ms(lambda: list(docs.find({"user_id": "listed"}).sort(newest_first).limit(11)))
        print(f"{others:>6} other documents: hinted {hinted:6.2f} ms, planner {planned:6.2f} ms")
finally:
    client.drop_database("secantus_hint_repro")
