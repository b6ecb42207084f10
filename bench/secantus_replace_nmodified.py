"""Minimal reproduction: SecantusDB reports an identical replaceOne as a
modification (nModified 1); MongoDB reports a no-op replacement as nModified
0. The services avoid the question: the seed writes `$set`/`$unset`
updates, whose no-op SecantusDB reports as MongoDB does.

    python3 bench/secantus_replace_nmodified.py mongodb://127.0.0.1:PORT/
"""
import sys

import pymongo

client = pymongo.MongoClient(sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/")
coll = client.secantus_repro.types
try:
    coll.insert_one({"id": 1, "name": "a"})
    same = coll.replace_one({"id": 1}, {"id": 1, "name": "a"})
    print("identical replaceOne: modified", same.modified_count, "(MongoDB: 0)")
    same = coll.update_one({"id": 1}, {"$set": {"name": "a"}})
    print("identical $set:       modified", same.modified_count, "(MongoDB: 0)")
finally:
    client.drop_database("secantus_repro")
