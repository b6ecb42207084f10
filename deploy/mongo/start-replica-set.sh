#!/usr/bin/env bash
# Starts mongod as a single-node replica set with authentication. A replica
# set is what makes multi-document transactions available; with
# authentication on, its members must share a key file, which a one-member
# set may generate at every start.
set -euo pipefail
keyfile=/data/configdb/replica-set.key
if [ ! -s "$keyfile" ]; then
  # 512 random bytes as base64: the key file's own alphabet and length limits.
  head -c 512 /dev/urandom | base64 | tr -d '\n' > "$keyfile"
fi
chmod 400 "$keyfile"
chown mongodb:mongodb "$keyfile"
exec docker-entrypoint.sh mongod --replSet rs0 --keyFile "$keyfile" --bind_ip_all
