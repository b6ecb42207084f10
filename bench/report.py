"""Turns wrk outputs into BENCHMARKS.md. Usage: report.py RESULTS_DIR OUT.md NOTES.md"""
import json, os, re, sys

def parse(path):
    text = open(path).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", text, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": pct.get("50", "?"),
        "p99": pct.get("99", "?"),
        "non2xx": int(errors.group(1)) if errors else 0,
    }

def to_ms(value):
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n

results, out, notes = sys.argv[1], sys.argv[2], sys.argv[3]
meta = json.load(open(os.path.join(results, "meta.json")))
r = {name[:-4]: parse(os.path.join(results, name)) for name in os.listdir(results) if name.endswith(".txt")}

def verdict(ok):
    return "**met**" if ok else "**MISSED**"

# (scenario, connections, file, target text, check, reference figure from issue #10)
scenarios = [
    ("`GET /usages?limit=10`, user with 2,000 usages", 1, "usages-2k-c1", "≥ 160 req/s", lambda x: x["rps"] >= 160, "52 req/s (p50 18.7 ms)"),
    ("`GET /usages?limit=10`, user with 2,000 usages", 16, "usages-2k-c16", "≥ 300 req/s", lambda x: x["rps"] >= 300, "99 req/s"),
    ("`GET /usages?limit=10`, user with 10,000 usages", 16, "usages-10k-c16", "p99 ≤ 25 ms", lambda x: to_ms(x["p99"]) <= 25, ""),
    ("`GET /usages/summary` for a calendar year, user with 2,000 usages", 1, "summary-2k-c1", "", None, ""),
    ("`GET /usages/summary` for a calendar year, user with 10,000 usages", 1, "summary-10k-c1", "p50 ≤ 10 ms", lambda x: to_ms(x["p50"]) <= 10, "50.14 ms p50 before rollups"),
    ("`GET /usages?limit=50`, organization with 100,000 usages (its owner's token)", 1, "org-usages-100k-c1", "p50 ≤ 10 ms", lambda x: to_ms(x["p50"]) <= 10, ""),
    ("`GET /usages/summary` for a calendar year, organization with 100,000 usages", 1, "summary-100k-c1", "p50 ≤ 5 ms",
     lambda x: to_ms(x["p50"]) <= 5, ""),
    ("`GET /usages/summary` Jan 15 13:30 → Oct 15 13:30 (edges mid-month and mid-day), organization with 100,000 usages", 1, "summary-100k-midmonth-c1", "p50 ≤ 2 × the month-aligned 100,000-usage p50",
     lambda x: to_ms(x["p50"]) <= 2 * to_ms(r["summary-100k-c1"]["p50"]), ""),
    ("`GET /usages/summary` for a calendar year, user with 10,000 usages", 16, "summary-10k-c16", "", None, ""),
    ("`POST /usages` (transactions shared by the creates that queue up), one user", 16, "post-usages-c16", "≥ 3,000 req/s", lambda x: x["rps"] >= 3000, "6,062 req/s without a transaction"),
    ("`GET /types`", 64, "types-c64", "≥ 40,000 req/s", lambda x: x["rps"] >= 40000, "575 req/s"),
    ("login (`POST /auth/jwt/login`)", 4, "login-c4", "", None, "3 req/s"),
]

lines = [
    "# Benchmarks",
    "",
    "Figures from `scripts/bench` (it reports; it never fails on speed). Rerun: `scripts/bench`.",
    "",
    f"- Run: {meta['date']}, commit `{meta['commit']}`",
    f"- Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory']} memory; the load generator (`wrk`) ran on the same machine over loopback",
    f"- Database: {meta['database']}",
    f"- Data: {meta['users']} users × {meta['per_user']:,} usages (one `POST /usages` each), one user with {meta['large_user']:,} and an organization with {meta['huge_user']:,} (10,000-row `POST /usages/import`s by its owner), all over HTTP; user 1 is listed and summarised, `POST /usages` runs as user 2",
    f"- Each run: `wrk -t<1 or 2> -c<connections> -d{meta['duration']}s --latency` (Lua scripts in `bench/`); release builds; login and sensitive-endpoint rate limits off so throughput can be measured",
    "- Reference: the FastAPI pair (fastapi-users 6.1, Motor) as measured in issue #10 on SecantusDB on this machine kind. It could not be re-run in this session (its source is not available here), so its column quotes the issue.",
    "",
    "| scenario | connections | requests/s | p50 | p99 | non-2xx | target | reference |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
]
for name, conns, key, target, check, reference in scenarios:
    x = r[key]
    status = f"{target}: {verdict(check(x))}" if check else ""
    lines.append(f"| {name} | {conns} | {x['rps']:,.1f} | {x['p50']} | {x['p99']} | {x['non2xx']} | {status} | {reference} |")

load = json.load(open(os.path.join(results, "load.json")))
imports = sorted(load["import_seconds"])
import_p50 = imports[len(imports) // 2]
lines += [
    "",
    "## Import of 10,000 rows (one transaction)",
    "",
    f"{len(imports)} imports of 10,000 rows each, one after another, while loading the users above (the last ones into a user who already holds up to {meta['huge_user'] - 10000:,} usages): p50 {import_p50:.2f} s, fastest {imports[0]:.2f} s, slowest {imports[-1]:.2f} s (target ≤ 3 s: {verdict(import_p50 <= 3)}). Nothing of an import is visible before it commits: `a_concurrent_reader_never_sees_part_of_an_import` checks that.",
]
durability = os.path.join(results, "durability-imports.json")
if "post-usages-unsynced-c16" in r and os.path.exists(durability):
    timings = json.load(open(durability))
    median = lambda xs: sorted(xs)[len(xs) // 2]
    synced, unsynced = r["post-usages-c16"], r["post-usages-unsynced-c16"]
    lines += [
        "",
        "## What durability costs (`--sync-on-commit`)",
        "",
        "The services' SecantusDB runs with `--sync-on-commit`: without it the engine acknowledges a commit before its log reaches the operating system, and a killed process loses acknowledged writes (`bench/secantus_unsynced_commit.py`, `e2e/tests/durability.rs`). The same release build against a second SecantusDB started without the flag:",
        "",
        "| scenario | with `--sync-on-commit` | without |",
        "| --- | ---: | ---: |",
        f"| `POST /usages`, 16 connections | {synced['rps']:,.1f} req/s (p50 {synced['p50']}) | {unsynced['rps']:,.1f} req/s (p50 {unsynced['p50']}) |",
        f"| import of 10,000 rows, p50 of {len(timings['synced'])} (alternating) | {median(timings['synced']):.2f} s | {median(timings['unsynced']):.2f} s |",
    ]
if os.path.exists(os.path.join(results, "audit-baseline.json")):
    baseline = json.load(open(os.path.join(results, "audit-baseline.json")))["baseline"]
    rounds = sorted(k[len("post-usages-before-audit-"):] for k in r if k.startswith("post-usages-before-audit-"))
    median = lambda xs: sorted(xs)[len(xs) // 2]
    before = median([r[f"post-usages-before-audit-{n}"]["rps"] for n in rounds])
    after = median([r[f"post-usages-with-audit-{n}"]["rps"] for n in rounds])
    change = (after - before) / before * 100
    lines += [
        "",
        "## What the audit trail costs",
        "",
        f"`POST /usages` at 16 connections, one user, against carbon-service at `{baseline}` (the commit before the audit trail) and this commit, each on a fresh SecantusDB with `--sync-on-commit`, in {len(rounds)} alternating rounds: every create now also appends its entry (a hash over canonical JSON) and moves the organization's trail head in its transaction (the creates that queue up share one; a batch trusts the head its process last committed).",
        "",
        "| round | before the trail | with the trail |",
        "| --- | ---: | ---: |",
    ]
    for n in rounds:
        b, a = r[f"post-usages-before-audit-{n}"], r[f"post-usages-with-audit-{n}"]
        lines.append(f"| {n} | {b['rps']:,.1f} req/s (p50 {b['p50']}) | {a['rps']:,.1f} req/s (p50 {a['p50']}) |")
    lines += [
        f"| median | {before:,.1f} req/s | {after:,.1f} req/s |",
        "",
        f"With the trail: {change:+.1f} % (target: within 20 %: {verdict(change >= -20)}).",
    ]
flood = r["types-during-login-flood"]
lines += [
    "",
    "## Password hashing stays off the async workers",
    "",
    f"`GET /types` at 16 connections while a login flood (16 connections, {r['login-flood']['rps']:,.0f} logins/s) runs against user-service on the same machine: p50 {flood['p50']}, p99 {flood['p99']} (target p99 ≤ 20 ms: {verdict(to_ms(flood['p99']) <= 20)}).",
    "",
    "## Peak memory (VmHWM)",
    "",
    f"- user-service: {meta['rss_user_mib']:.1f} MiB (target < 50 MiB: {verdict(meta['rss_user_mib'] < 50)})",
    f"- carbon-service: {meta['rss_carbon_mib']:.1f} MiB (target < 50 MiB: {verdict(meta['rss_carbon_mib'] < 50)})",
    "",
    "## Commands",
    "",
    "```sh",
    "scripts/bench                     # SecantusDB started by the script",
    "USER_MONGODB_URI=mongodb://.../users CARBON_MONGODB_URI=mongodb://.../carbon scripts/bench   # your databases",
    "BENCH_DURATION=10 scripts/bench   # longer runs",
    "```",
    "",
]
lines.append(open(notes).read().rstrip() + "\n")
open(out, "w").write("\n".join(lines))
print(out)
