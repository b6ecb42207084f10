"""How many usage-shaped documents one multi-document transaction can insert
on the server at URI, in batches of 1,000 as an import does, and how long
the transaction takes. Reports each size and whether it committed; stops at
the first size that fails or takes over 60 s (MongoDB's default
transactionLifetimeLimitSeconds). Then runs 2, 4 and 8 transactions of
10,000 rows at once (concurrent imports share the engine's cache).

    python3 bench/secantus_txn_size.py mongodb://127.0.0.1:PORT/

Needs pymongo and a replica set (SecantusDB without --standalone).
Creates and drops the database `txn_size_probe`.
"""
import datetime, sys, threading, time, uuid

import pymongo
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

client = pymongo.MongoClient(sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/")
db = client.txn_size_probe
BATCH = 1_000
start = datetime.datetime(2026, 1, 1)

def usage(user, i):
    # The shape carbon-service stores: about 400 bytes of BSON.
    return {
        "_id": uuid.uuid4().hex[:24], "user_id": user, "amount": 12.5 + i % 7,
        "usage_type": {"id": 100, "name": "electricity", "unit": "kWh", "factor": 0.367,
                       "scope": 2, "source": "US EPA eGRID2022, US average", "source_url": "https://www.epa.gov/egrid"},
        "usage_type_id": 100, "usage_at": start + datetime.timedelta(minutes=i),
        "co2e": 4.5875, "created_at": start, "updated_at": start, "version": 1, "import_id": user,
    }

def one_transaction(size):
    """Inserts `size` rows in one transaction: (seconds, error or None, rows visible after)."""
    user = uuid.uuid4().hex
    began = time.monotonic()
    error = None
    try:
        with client.start_session() as session:
            with session.start_transaction(read_concern=ReadConcern("snapshot"),
                                           write_concern=WriteConcern("majority")):
                for first in range(0, size, BATCH):
                    db.usages.insert_many([usage(user, i) for i in range(first, min(size, first + BATCH))],
                                          session=session)
    except pymongo.errors.PyMongoError as e:
        error = e.details.get("codeName") if isinstance(e, pymongo.errors.OperationFailure) else type(e).__name__
    return time.monotonic() - began, error, db.usages.count_documents({"user_id": user})

try:
    db.usages.create_index([("user_id", 1), ("usage_at", -1), ("_id", -1)], name="user_usage_at")
    for size in [10_000, 12_500, 15_000, 17_500, 20_000, 25_000, 50_000, 100_000]:
        took, error, visible = one_transaction(size)
        if error:
            print(f"{size:>7} rows: FAILED after {took:.2f} s ({error}); {visible} visible")
            break
        print(f"{size:>7} rows: committed in {took:.2f} s ({size / took:,.0f} rows/s), {visible} visible")
        if took > 60:
            break
    for parallel in [2, 4, 8]:
        results = [None] * parallel
        def run(i):
            results[i] = one_transaction(10_000)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failed = [r[1] for r in results if r[1]]
        print(f"{parallel} x 10000 rows at once: {parallel - len(failed)} committed, "
              f"{len(failed)} failed {sorted(set(failed))}; slowest {max(r[0] for r in results):.2f} s")
finally:
    client.drop_database("txn_size_probe")
