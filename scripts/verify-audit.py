#!/usr/bin/env python3
"""Verifies an audit export (GET /audit/export, JSON Lines) offline.

Usage: python3 verify-audit.py audit.jsonl [expected-head-hash]
Standard library only. Exits 1 naming the first entry that does not verify.
"""
import hashlib, json, sys

def canonical(value):  # RFC 8785 for values whose numbers are all strings
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

prev, seq = bytes(32), 0
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    payload = e["payload_sha256"]
    if e["payload"] is not None and hashlib.sha256(canonical(e["payload"])).hexdigest() != payload:
        sys.exit(f"entry {e['seq']}: the payload does not match payload_sha256")
    digest = hashlib.sha256(prev + hashlib.sha256(canonical(e["header"])).digest() + bytes.fromhex(payload))
    if e["seq"] != seq or e["header"]["seq"] != str(seq) or e["prev"] != prev.hex() or e["hash"] != digest.hexdigest():
        sys.exit(f"entry {e['seq']}: expected entry {seq} chained to {prev.hex()}")
    prev, seq = digest.digest(), seq + 1
if len(sys.argv) > 2 and prev.hex() != sys.argv[2]:
    sys.exit(f"the trail ends at {prev.hex()}, not at the head kept outside ({sys.argv[2]})")
print(f"{seq} entries verify; head {prev.hex()}")
