"""How many usage-shaped documents one multi-document transaction can insert
on the server at URI, in batches of 1,000 as an import does, and how long
the transaction takes. Reports each size and whether it committed; stops at
the first size that fails or takes over 60 s (MongoDB's default
transactionLifetimeLimitSeconds).

    python3 bench/secantus_txn_size.py mongodb://127.0.0.1:PORT/

Needs pymongo and a replica set (SecantusDB without --standalone).
Creates and drops the database `txn_size_probe`.
"""
import datetime, sys, time, uuid

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

try:
    db.usages.create_index([("user_id", 1), ("usage_at", -1), ("_id", -1)], name="user_usage_at")
    for size in [10_000, 25_000, 50_000, 100_000, 200_000, 400_000]:
        user = uuid.uuid4().hex
        began = time.monotonic()
        try:
            with client.start_session() as session:
                with session.start_transaction(read_concern=ReadConcern("snapshot"),
                                               write_concern=WriteConcern("majority")):
                    for first in range(0, size, BATCH):
                        db.usages.insert_many([usage(user, i) for i in range(first, first + BATCH)],
                                              session=session)
            took = time.monotonic() - began
            visible = db.usages.count_documents({"user_id": user})
            print(f"{size:>7} rows: committed in {took:.2f} s ({size / took:,.0f} rows/s), {visible} visible")
            if took > 60:
                break
        except pymongo.errors.PyMongoError as e:
            took = time.monotonic() - began
            visible = db.usages.count_documents({"user_id": user})
            print(f"{size:>7} rows: FAILED after {took:.2f} s ({type(e).__name__}: {e}); {visible} visible")
            break
finally:
    client.drop_database("txn_size_probe")
