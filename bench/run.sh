#!/usr/bin/env bash
# Benchmarks keyctl against curl on a local server and writes a Markdown report.
#   bash bench/run.sh                 full run, writes bench/RESULTS.md
#   BENCH_QUICK=1 bash bench/run.sh   reduced run (few iterations, 100 keys), report to $BENCH_OUT
# Needs: cargo, python3, curl; installs hyperfine, GNU time and strace from the system packages
# if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-bench/RESULTS.md}
if [ "$QUICK" = 1 ]; then RUNS=5; WARM=1; NKEYS=100; BIGRUNS=1; else RUNS=40; WARM=5; NKEYS=1000; BIGRUNS=3; fi
CONC=16

need() { command -v "$1" >/dev/null 2>&1; }
PKGS=()
need hyperfine || PKGS+=(hyperfine)
[ -x /usr/bin/time ] || PKGS+=(time)
need strace || PKGS+=(strace)
if [ ${#PKGS[@]} -gt 0 ]; then
  echo "installing ${PKGS[*]} from the system packages" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq "${PKGS[@]}" >/dev/null
fi

cargo build --release --locked -q
BIN=$PWD/target/release/keyctl
TMP=$(mktemp -d)
# Never the user's config file or audit trail: a config of our own (section 9), a trail in TMP.
export XDG_CONFIG_HOME="$TMP/config" XDG_STATE_HOME="$TMP/state"
unset KEYCTL_CONFIG KEYCTL_PROFILE KEYCTL_AUDIT
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$TMP"; }
PIDS=()
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_server() { # port delay_ms [keys in the ModelGates listing]
  BENCH_KEYS="${3:-3}" python3 bench/server.py "$1" "$2" & PIDS+=($!)
  for _ in $(seq 50); do curl -s -o /dev/null -X PATCH "http://127.0.0.1:$1/x" && return 0; sleep 0.1; done
  echo "server on $1 did not start" >&2; exit 1
}
P0=$(free_port); start_server "$P0" 0
P20=$(free_port); start_server "$P20" 20
export IONET_ADMIN_KEY=bench-secret MODELGATES_MANAGEMENT_KEY=bench-secret \
       NOVAPAI_MANAGEMENT_KEY=bench-secret VENICE_ADMIN_KEY=bench-secret
U0="http://127.0.0.1:$P0"
IONET_ID=3f2b8c1e-9a4d-4e6f-8b21-5c7d0e9f1a23
GATES_ID=f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943
VENICE_ID=e28e82dc-9df2-4b47-b726-d0a222ef2ab5

# 1. one update vs the equivalent curl, per provider
declare -A KC CU
KC[ionet]="$BIN update -q -p ionet $IONET_ID --limit 50 --base-url $U0"
CU[ionet]="curl -s -o /dev/null -X PATCH $U0/v1/api-keys/sub-keys/$IONET_ID -H 'x-api-key: bench-secret' -H 'content-type: application/json' -d '{\"credit_limit\":50}'"
for p in modelgates novapai; do
  KC[$p]="$BIN update -q -p $p $GATES_ID --limit 50 --base-url $U0"
  CU[$p]="curl -s -o /dev/null -X PATCH $U0/api/v1/keys/$GATES_ID -H 'authorization: Bearer bench-secret' -H 'content-type: application/json' -d '{\"limit\":50}'"
done
KC[venice]="$BIN update -q -p venice $VENICE_ID --reset monthly --base-url $U0"
CU[venice]="curl -s -o /dev/null -X PATCH $U0/api/v1/api_keys -H 'authorization: Bearer bench-secret' -H 'content-type: application/json' -d '{\"id\":\"$VENICE_ID\",\"limitPeriod\":\"MONTH\"}'"
for p in ionet modelgates novapai venice; do
  hyperfine -N --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/one_$p.json" \
    -n keyctl "${KC[$p]}" -n curl "${CU[$p]}" >/dev/null
done

# 8. the lifecycle: one create (the listing read for its name, then the create; Venice also reads
# the new key back), one revoke (a read, then the delete) and one rotate (a read, the create,
# Venice's read-back, the old key's step) vs the same requests in one curl (--next), ModelGates and Venice.
AUTH="-H 'authorization: Bearer bench-secret' -H 'content-type: application/json'"
declare -A LC
LC[create_modelgates]="$BIN create -q -p modelgates --name bench --limit 5 -o json --base-url $U0"
LC[create_modelgates_curl]="curl -s -o /dev/null $U0/api/v1/keys?offset=0 $AUTH --next -s -o /dev/null -X POST $U0/api/v1/keys $AUTH -d '{\"name\":\"bench\",\"limit\":5}'"
LC[create_venice]="$BIN create -q -p venice --name bench --limit 5 --reset daily -o json --base-url $U0"
LC[create_venice_curl]="curl -s -o /dev/null $U0/api/v1/api_keys $AUTH --next -s -o /dev/null -X POST $U0/api/v1/api_keys $AUTH -d '{\"apiKeyType\":\"INFERENCE\",\"description\":\"bench\",\"consumptionLimit\":{\"usd\":5},\"limitPeriod\":\"EPOCH\"}' --next -s -o /dev/null $U0/api/v1/api_keys/5b2c3d4e-0000-4000-8000-000000000001 $AUTH"
LC[revoke_modelgates]="$BIN revoke -q -p modelgates $GATES_ID --yes -o json --base-url $U0"
LC[revoke_modelgates_curl]="curl -s -o /dev/null $U0/api/v1/keys/$GATES_ID $AUTH --next -s -o /dev/null -X DELETE $U0/api/v1/keys/$GATES_ID $AUTH"
LC[revoke_venice]="$BIN revoke -q -p venice $VENICE_ID --yes -o json --base-url $U0"
LC[revoke_venice_curl]="curl -s -o /dev/null $U0/api/v1/api_keys/$VENICE_ID $AUTH --next -s -o /dev/null -X DELETE $U0/api/v1/api_keys?id=$VENICE_ID $AUTH"
LC[rotate_modelgates]="$BIN rotate -q -p modelgates $GATES_ID -o json --base-url $U0"
LC[rotate_modelgates_curl]="curl -s -o /dev/null $U0/api/v1/keys/$GATES_ID $AUTH --next -s -o /dev/null -X POST $U0/api/v1/keys $AUTH -d '{\"name\":\"bench (rotated)\",\"limit\":50}' --next -s -o /dev/null -X PATCH $U0/api/v1/keys/$GATES_ID $AUTH -d '{\"disabled\":true}'"
LC[rotate_venice]="$BIN rotate -q -p venice $VENICE_ID -o json --base-url $U0"
LC[rotate_venice_curl]="curl -s -o /dev/null $U0/api/v1/api_keys/$VENICE_ID $AUTH --next -s -o /dev/null -X POST $U0/api/v1/api_keys $AUTH -d '{\"apiKeyType\":\"INFERENCE\",\"description\":\"bench (rotated)\"}' --next -s -o /dev/null $U0/api/v1/api_keys/5b2c3d4e-0000-4000-8000-000000000001 $AUTH --next -s -o /dev/null -X PATCH $U0/api/v1/api_keys $AUTH -d '{\"id\":\"$VENICE_ID\",\"expiresAt\":\"2030-01-01T00:00:00Z\"}'"
for op in create revoke rotate; do
  for p in modelgates venice; do
    # --output=pipe: a new secret written to /dev/null counts as not delivered (exit 1).
    hyperfine -N --output=pipe --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/lc_${op}_$p.json" \
      -n keyctl "${LC[${op}_$p]}" -n curl "${LC[${op}_${p}_curl]}" >/dev/null
  done
done

# 9. profiles and the audit trail: the same update through a profile (config file parsed,
# credential from a variable it names), with the trail on (one locked append) and off.
mkdir -p "$XDG_CONFIG_HOME/keyctl"
cat > "$XDG_CONFIG_HOME/keyctl/config.toml" <<CFG
[profiles.bench]
provider = "modelgates"
base_url = "$U0"
credential_env = "MODELGATES_MANAGEMENT_KEY"
CFG
hyperfine -N --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/profile.json" \
  -n flags "$BIN update -q -p modelgates $GATES_ID --limit 50 --base-url $U0" \
  -n profile "$BIN update -q -P bench $GATES_ID --limit 50" >/dev/null
KEYCTL_AUDIT=off hyperfine -N --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/profile_noaudit.json" \
  -n profile-audit-off "$BIN update -q -P bench $GATES_ID --limit 50" >/dev/null
AUDIT_LINES=$(wc -l < "$XDG_STATE_HOME/keyctl/audit.jsonl")

# 2. start-up
hyperfine -N --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/startup.json" \
  -n help "$BIN --help" -n version "$BIN --version" >/dev/null

# 3. many keys against a server that adds 20 ms per answer
# Full ids (64 hex digits), used as is: no listing is read.
python3 -c 'import sys
for i in range(1, int(sys.argv[1]) + 1): print(format(i, "064x"))' "$NKEYS" > "$TMP/keys.txt"
U20="http://127.0.0.1:$P20"
hyperfine -N --warmup 0 --runs "$BIGRUNS" --export-json "$TMP/many.json" \
  -n keyctl "$BIN update -q -p modelgates --from-file $TMP/keys.txt --limit 50 --concurrency $CONC --base-url $U20" >/dev/null
cat > "$TMP/curl_loop.sh" <<LOOP
while read -r k; do
  curl -s -o /dev/null -X PATCH "$U20/api/v1/keys/\$k" -H 'authorization: Bearer bench-secret' -H 'content-type: application/json' -d '{"limit":50}'
done < "$TMP/keys.txt"
LOOP
hyperfine -N --warmup 0 --runs 1 --export-json "$TMP/curl_loop.json" -n curl-loop "bash $TMP/curl_loop.sh" >/dev/null

# 4. peak memory
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
RSS_ONE=$(rss $BIN update -q -p modelgates $GATES_ID --limit 50 --base-url $U0)
RSS_MANY=$(rss $BIN update -q -p modelgates --from-file "$TMP/keys.txt" --limit 50 --concurrency $CONC --base-url $U20)
RSS_CURL=$(rss curl -s -o /dev/null -X PATCH "$U0/api/v1/keys/$GATES_ID" -H 'authorization: Bearer bench-secret' -d '{"limit":50}')

# 5. size
SIZE=$(stat -c %s "$BIN")

# 6. cheap paths: time next to --version, and count the certificate-store files each one opens.
# Without a credential a dry run reads nothing; with one it reads each key for its plan, here
# from the loopback stand-in over http:// (a read over https must load the store). -i: a failing
# run goes into the report as its exit code instead of stopping the script.
DRY_OFF="update -p venice $VENICE_ID --reset monthly --expires 30d --dry-run"
DRY="$DRY_OFF --base-url $U0"
DRY_NOREAD="update -p modelgates $GATES_ID --limit 50 --dry-run --base-url $U0"
LOOPBACK="update -q -p modelgates $GATES_ID --limit 50 --base-url $U0"
HTTPS_FAIL="update -p venice $VENICE_ID --limit 50 --base-url https://127.0.0.1:1 --retries 0"
hyperfine -N -i --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/cheap.json" \
  -n version "$BIN --version" -n help "$BIN --help" -n support "$BIN support" \
  -n dry-cred "$BIN $DRY" -n dry-cred-noread "$BIN $DRY_NOREAD" \
  -n loopback "$BIN $LOOPBACK" >/dev/null
# The variable is unset for hyperfine itself, so no `env` process is timed.
env -u VENICE_ADMIN_KEY hyperfine -N -i --warmup "$WARM" --runs "$RUNS" \
  --export-json "$TMP/cheap_nocred.json" -n dry-nocred "$BIN $DRY_OFF" >/dev/null
# Successful opens of the store's paths (lines without ENOENT) and IPv4/IPv6 connect() calls,
# from one traced run; "n/a" when strace could not trace (e.g. ptrace not permitted).
trace() { # name command...
  local name=$1; shift
  rm -f "$TMP/trace"
  strace -f -e trace=openat,open,connect -o "$TMP/trace" "$@" >/dev/null 2>&1 || true
  if ! grep -q 'open' "$TMP/trace" 2>/dev/null; then
    printf '%s\tn/a\tn/a\n' "$name" >> "$TMP/certs.tsv"; return
  fi
  local certs conns
  certs=$(grep '/etc/ssl/certs\|ca-certificates' "$TMP/trace" | grep -vc ENOENT || true)
  conns=$(grep 'connect(' "$TMP/trace" | grep -c 'AF_INET' || true)
  printf '%s\t%s\t%s\n' "$name" "$certs" "$conns" >> "$TMP/certs.tsv"
}
: > "$TMP/certs.tsv"
trace version $BIN --version
trace help $BIN --help
trace support $BIN support
trace dry-nocred env -u VENICE_ADMIN_KEY $BIN $DRY_OFF
trace dry-cred $BIN $DRY
trace dry-cred-noread $BIN $DRY_NOREAD
trace loopback $BIN $LOOPBACK
trace https-fail $BIN $HTTPS_FAIL
STORE_N=$(find /etc/ssl/certs -maxdepth 1 ! -type d 2>/dev/null | wc -l)

# 7. bounds: 100,000 keys (each given twice) through a dry run, table and JSON output.
python3 -c 'import sys
for i in range(100000): print("3f2b8c1e-9a4d-4e6f-8b21-%012d" % i)' > "$TMP/100k.txt"
cat "$TMP/100k.txt" "$TMP/100k.txt" > "$TMP/200k.txt"
: > "$TMP/bounds.tsv"
for fmt in table json; do
  /usr/bin/time -f "%e\t%M" -o "$TMP/time" env -u IONET_ADMIN_KEY \
    $BIN update -p ionet --from-file "$TMP/200k.txt" --limit 50 --dry-run -o $fmt >/dev/null 2>&1
  printf '%s\t%s\n' "$fmt" "$(cat "$TMP/time")" >> "$TMP/bounds.tsv"
done

# 10. keys by name in a 10,000-key ModelGates account (the stand-in's paged listing, 101 pages of
# 100): a relative dry run over every key by full id (read by listing, not 10,000 GETs), by
# --match and by name; one key by name (one listing) and by full id (one GET); curl reading the
# same 101 pages in one process (keep-alive).
P10K=$(free_port); start_server "$P10K" 0 10000; U10K="http://127.0.0.1:$P10K"
python3 -c 'for i in range(10000): print(format(i, "064x"))' > "$TMP/ids10k.txt"
python3 -c 'for i in range(10000): print("ci-agent-%05d" % i)' > "$TMP/names10k.txt"
for o in $(seq 0 100 10000); do printf 'url = "%s/api/v1/keys?offset=%s"\noutput = /dev/null\n' "$U10K" "$o"; done > "$TMP/pages.curl"
G10="$BIN update -p modelgates --base-url $U10K --limit +5 --dry-run -o tsv"
hyperfine -N --output=pipe --warmup 1 --runs "$RUNS" --export-json "$TMP/names.json" \
  -n ids-10k "$G10 --from-file $TMP/ids10k.txt" \
  -n match-10k "$G10 --match ci-*" \
  -n names-10k "$G10 --from-file $TMP/names10k.txt" \
  -n get-by-name "$BIN get -p modelgates --base-url $U10K ci-agent-04242" \
  -n get-by-id "$BIN get -p modelgates --base-url $U10K $(printf '%064x' 4242)" \
  -n curl-101-pages "curl -s -H 'Authorization: Bearer bench-secret' -K $TMP/pages.curl" >/dev/null

# 11. the README's conditional cron line (update --if-usage-over) over a 1,000-key ModelGates
# account (the stand-in's paged listing, 11 requests with the empty last page), 50 of whose keys
# have spent 95% of their limit: one listing read and 50 PATCHes, counted by the server for one
# run (its count reset first: start_server's probe is a PATCH), then timed.
P11=$(free_port); start_server "$P11" 0 1000; U11="http://127.0.0.1:$P11"
cat >> "$XDG_CONFIG_HOME/keyctl/config.toml" <<CFG

[profiles.prod]
provider = "modelgates"
base_url = "$U11"
credential_env = "MODELGATES_MANAGEMENT_KEY"
CFG
CRON="$BIN update -P prod --match ci-* --yes --if-usage-over 90% --limit +25 --limit-max 500 -q"
curl -s "$U11/__counts?reset=1" >/dev/null
CRON_LINES_BEFORE=$(wc -l < "$XDG_STATE_HOME/keyctl/audit.jsonl")
CRON_OUT=$($CRON 2>&1; echo "exit $?")
CRON_LINES=$(( $(wc -l < "$XDG_STATE_HOME/keyctl/audit.jsonl") - CRON_LINES_BEFORE ))
curl -s "$U11/__counts" > "$TMP/cron_counts.json"
printf '%s' "$CRON_OUT" > "$TMP/cron_out.txt"
echo "$CRON_LINES" > "$TMP/cron_audit.txt"
hyperfine -N --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/cron.json" -n cron-1000 "$CRON" >/dev/null

# 12. keys as code: `keyctl plan` over 1,000 declared keys across two profiles (two stand-ins of
# 500 ModelGates keys each: 5 pages of 100 and the empty last page), every 100th key declared
# with another limit (10 updates, exit 10): one listing read per profile and nothing else, counted
# by each server for one run (counts reset first), then timed (-i: exit 10 is the plan's answer).
P12A=$(free_port); start_server "$P12A" 0 500; U12A="http://127.0.0.1:$P12A"
P12B=$(free_port); start_server "$P12B" 0 500; U12B="http://127.0.0.1:$P12B"
for prof in plan-a:"$U12A" plan-b:"$U12B"; do
  printf '\n[profiles.%s]\nprovider = "modelgates"\nbase_url = "%s"\ncredential_env = "MODELGATES_MANAGEMENT_KEY"\n' \
    "${prof%%:*}" "${prof#*:}" >> "$XDG_CONFIG_HOME/keyctl/config.toml"
done
python3 - "$TMP/keys1000.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for prof in ("plan-a", "plan-b"):
        for i in range(500):
            f.write(f'[[key]]\nprofile = "{prof}"\nname = "ci-agent-{i:05d}"\n'
                    f'limit = {75 if i % 100 == 7 else 50}\nreset = "daily"\nexpires = "never"\n'
                    'disabled = false\ninclude_byok_in_limit = false\n\n')
PY
PLAN="$BIN plan -f $TMP/keys1000.toml -o json"
for u in "$U12A" "$U12B"; do curl -s "$u/__counts?reset=1" >/dev/null; done
PLAN_CODE=0; $PLAN > "$TMP/plan_out.jsonl" 2> "$TMP/plan_err.txt" || PLAN_CODE=$?
echo "$PLAN_CODE" > "$TMP/plan_code.txt"
curl -s "$U12A/__counts" > "$TMP/plan_counts_a.json"; curl -s "$U12B/__counts" > "$TMP/plan_counts_b.json"
hyperfine -N -i --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/plan.json" -n plan-1000 "$PLAN" >/dev/null

AUDIT_LINES="$AUDIT_LINES" python3 - "$TMP" "$OUT" "$NKEYS" "$CONC" "$RSS_ONE" "$RSS_MANY" "$RSS_CURL" "$SIZE" "$QUICK" "$RUNS" "$STORE_N" <<'PY'
import json, os, platform, statistics, subprocess, sys, datetime
tmp, out, nkeys, conc, rss_one, rss_many, rss_curl, size, quick, runs, store_n = sys.argv[1:]
nkeys, conc = int(nkeys), int(conc)
def load(name): return {r["command"]: r for r in json.load(open(f"{tmp}/{name}.json"))["results"]}
def ms(r): return r["median"] * 1000
def spread(r): return f'{r["min"]*1000:.2f}–{r["max"]*1000:.2f}'
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
L = []
L.append("# keyctl benchmark results\n")
L.append(f"Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} cores, {cpu}, "
         f"{int(mem)//1024} MiB RAM, {platform.system()} {platform.release()}. "
         f"{subprocess.run(['target/release/keyctl','--version'],capture_output=True,text=True).stdout.strip()}, "
         f"{subprocess.run(['curl','--version'],capture_output=True,text=True).stdout.split(chr(10))[0].split(' (')[0]}. "
         + ("**Reduced (quick) run.**" if quick == "1" else "") + "\n")
L.append("Reproduce: `bash bench/run.sh` (local Python server on 127.0.0.1, hyperfine `-N`, medians).\n")
L.append("## 1. One update: keyctl vs curl (local server, no added delay)\n")
L.append("| provider | keyctl median ms (min–max) | curl median ms (min–max) | keyctl / curl |")
L.append("|---|---|---|---|")
for p in ["ionet", "modelgates", "novapai", "venice"]:
    r = load(f"one_{p}")
    k, c = r["keyctl"], r["curl"]
    L.append(f"| {p} | {ms(k):.2f} ({spread(k)}) | {ms(c):.2f} ({spread(c)}) | {ms(k)/ms(c):.2f}× |")
r = load("startup")
L.append("\n## 2. Start-up\n")
L.append("| command | median ms (min–max) |\n|---|---|")
L.append(f"| `keyctl --help` | {ms(r['help']):.2f} ({spread(r['help'])}) |")
L.append(f"| `keyctl --version` | {ms(r['version']):.2f} ({spread(r['version'])}) |")
many = load("many")["keyctl"]; loop = load("curl_loop")["curl-loop"]
ideal = nkeys / conc * 0.020
L.append(f"\n## 3. {nkeys} key updates, server adds 20 ms per answer\n")
L.append("| run | wall s | vs ideal |\n|---|---|---|")
L.append(f"| ideal ({nkeys} / {conc} × 20 ms) | {ideal:.3f} | 1.00× |")
L.append(f"| keyctl `--from-file --concurrency {conc}` (median of {len(many['times'])}) | {many['median']:.3f} | {many['median']/ideal:.2f}× |")
L.append(f"| shell loop of {nkeys} curls | {loop['median']:.3f} | {loop['median']/ideal:.2f}× |")
L.append("\n## 4. Peak resident memory (`/usr/bin/time -v`)\n")
L.append("| run | max RSS |\n|---|---|")
L.append(f"| keyctl, one update | {int(rss_one)/1024:.1f} MiB |")
L.append(f"| keyctl, {nkeys} updates at concurrency {conc} | {int(rss_many)/1024:.1f} MiB |")
L.append(f"| curl, one PATCH | {int(rss_curl)/1024:.1f} MiB |")
L.append("\n## 5. Release binary\n")
L.append(f"`target/release/keyctl`: {int(size)/1024/1024:.2f} MiB (stripped, LTO, one codegen unit, panic=abort).\n")
cheap = {**load("cheap"), **load("cheap_nocred")}
traced = {}
for line in open(f"{tmp}/certs.tsv"):
    name, certs, conns = line.rstrip("\n").split("\t")
    traced[name] = (certs, conns)
ver = cheap["version"]["mean"]
rows = [  # name, command as shown, is it a path that must not touch the store
    ("version", "`keyctl --version`", True),
    ("help", "`keyctl --help`", True),
    ("support", "`keyctl support`", True),
    ("dry-nocred", "dry run, no credential: `env -u VENICE_ADMIN_KEY keyctl update -p venice e28e82dc… --reset monthly --expires 30d --dry-run`", True),
    ("dry-cred", "dry run, credential set (reads the key over loopback `http://`): `keyctl update -p venice e28e82dc… --reset monthly --expires 30d --dry-run --base-url http://127.0.0.1:PORT`", True),
    ("dry-cred-noread", "the same on ModelGates: `keyctl update -p modelgates f01d5260… --limit 50 --dry-run --base-url http://127.0.0.1:PORT`", True),
    ("loopback", "one update, loopback `http://` base URL: `keyctl update -q -p modelgates f01d5260… --limit 50 --base-url http://127.0.0.1:PORT`", True),
    ("https-fail", "comparison, TLS, must load the store: `keyctl update -p venice e28e82dc… --limit 50 --base-url https://127.0.0.1:1 --retries 0`", False),
]
def exits(r):
    bad = sorted({c for c in r.get("exit_codes", []) if c})
    return f" (exit {', '.join(map(str, bad))})" if bad else ""
L.append("\n## 6. Cheap paths\n")
L.append(f"Target: a dry run that reads nothing takes within 1.5× of `keyctl --version`, and none of the commands above the "
         f"comparison row opens the system certificate store (`/etc/ssl/certs/ca-certificates.crt` plus the "
         f"{store_n} entries under `/etc/ssl/certs`). Times: hyperfine `-N`, {runs} runs, mean ± σ (the "
         f"no-credential dry run is timed with the variable unset for hyperfine itself, so `env` is not "
         f"timed; with a credential a dry run reads each key for its plan, here from the loopback stand-in). Certificate files: successful `open`/`openat` of a path matching `/etc/ssl/certs` or "
         f"`ca-certificates` in `strace -f` of one run; inet connects: `connect()` calls to an IPv4/IPv6 "
         f"address in that run (DNS included).\n")
L.append("| command | mean ms ± σ | vs `--version` | certificate files opened | inet connects |")
L.append("|---|---|---|---|---|")
for name, shown, _ in rows:
    certs, conns = traced.get(name, ("n/a", "n/a"))
    r = cheap.get(name)
    if r:
        sd = r["stddev"] * 1000 if r.get("stddev") is not None else 0.0
        L.append(f"| {shown}{exits(r)} | {r['mean']*1000:.2f} ± {sd:.2f} | {r['mean']/ver:.2f}× | {certs} | {conns} |")
    else:
        L.append(f"| {shown} | – | – | {certs} | {conns} |")
# A dry run without a credential reads nothing: it is held to 1.5× of --version. With one it
# reads each key over the network like an update, so it is compared with one update instead.
x = cheap["dry-nocred"]["mean"] / ver
L.append("\nDry run without a credential within 1.5× of `--version`: **"
         + ("PASS" if x <= 1.5 else "FAIL") + f"** ({x:.2f}×).\n")
upd = cheap["loopback"]["mean"]
reads = [(n, cheap[n]["mean"] / upd) for n in ("dry-cred", "dry-cred-noread")]
L.append("Dry runs that read the key, vs one update over the same loopback: "
         + ", ".join(f"{n} {r:.2f}×" for n, r in reads) + ".\n")
opened = [n for n, _, cheap_path in rows if cheap_path and traced.get(n, ("n/a",))[0] not in ("0", "n/a")]
unknown = [n for n, _, cheap_path in rows if cheap_path and traced.get(n, ("n/a",))[0] == "n/a"]
verdict = "FAIL" if opened else ("n/a (strace could not trace)" if unknown else "PASS")
L.append(f"Certificate store untouched on every cheap path: **{verdict}**"
         + (f" (opened by: {', '.join(opened)})" if opened else "") + ".\n")
https = traced.get("https-fail", ("n/a",))[0]
L.append(f"Counter check: the TLS comparison opened {https} certificate files "
         + ("(> 0, so the counter sees the store)." if https not in ("0", "n/a") else "(expected > 0: the count above cannot be trusted).") + "\n")
L.append("\n## 7. Bounds: 100,000 keys in a dry run\n")
L.append("Target: 100,000 keys in `--dry-run` in under 2 s and under 100 MB. Input: 100,000 io.net ids, each "
         "given twice (so de-duplication is exercised); `/usr/bin/time` wall time and peak RSS of one run.\n")
L.append("| output | seconds | peak RSS (MiB) | verdict |")
L.append("|---|---|---|---|")
for line in open(f"{tmp}/bounds.tsv"):
    fmt, secs, kb = line.split("\t")
    secs, mib = float(secs), int(kb) / 1024
    verdict = "PASS" if secs < 2 and mib < 100 else "FAIL"
    L.append(f"| `-o {fmt}` | {secs:.2f} | {mib:.1f} | {verdict} |")
L.append("\n## 8. Lifecycle: create, revoke, rotate vs curl (local server)\n")
L.append("keyctl's create reads the listing first (a name the account has is refused), its revoke reads the key first and then deletes it, and rotate reads it, creates the "
         "successor and changes the old key: the curl column makes the same requests in one process "
         "(`--next`).\n")
L.append("| command | provider | keyctl median ms (min–max) | curl median ms (min–max) | keyctl / curl |")
L.append("|---|---|---|---|---|")
READ_BACK = {"create": "GET list + POST + GET read-back", "rotate": "GET + POST + GET read-back + PATCH"}
for op, reqs in [("create", "GET list + POST"), ("revoke", "GET + DELETE"), ("rotate", "GET + POST + PATCH")]:
    for p in ["modelgates", "venice"]:
        r = load(f"lc_{op}_{p}")
        k, c = r["keyctl"], r["curl"]
        shown = READ_BACK.get(op, reqs) if p == "venice" else reqs
        L.append(f"| `{op}` ({shown}) | {p} | {ms(k):.2f} ({spread(k)}) | {ms(c):.2f} ({spread(c)}) | {ms(k)/ms(c):.2f}× |")
L.append("\n## 9. Profiles and the audit trail (local server, ModelGates)\n")
L.append("The same one-key update with flags and the provider's variable, through a profile (the config "
         "file read and checked, the credential from the variable the profile names), and through the "
         "profile with the audit trail off (`KEYCTL_AUDIT=off`). Audit lines written during the run: "
         f"{os.environ.get('AUDIT_LINES', '?').strip()}.\n")
L.append("| run | median ms (min–max) |")
L.append("|---|---|")
pr = load("profile")
L.append(f"| flags, audit on | {ms(pr['flags']):.2f} ({spread(pr['flags'])}) |")
L.append(f"| profile, audit on | {ms(pr['profile']):.2f} ({spread(pr['profile'])}) |")
pn = load("profile_noaudit")
L.append(f"| profile, audit off | {ms(pn['profile-audit-off']):.2f} ({spread(pn['profile-audit-off'])}) |")
L.append("\n## 10. Keys by name: a 10,000-key account (local server, ModelGates)\n")
L.append("The stand-in lists 10,000 keys, 100 a page (101 requests with the empty last page). A relative "
         "`--limit +5 --dry-run` over every key reads each key's current limit: from the listing, "
         "whether the keys are given by full id (a file of 10,000 ids), by `--match ci-*` or by name (a "
         "file of 10,000 names). One key by name costs one listing; by full id, one GET. curl reads the "
         "same 101 pages in one process. Target: the 10,000-key dry run under 2 s.\n")
L.append("| run | median ms (min–max) | verdict |")
L.append("|---|---|---|")
nm = load("names")
for name in ["ids-10k", "match-10k", "names-10k", "get-by-name", "get-by-id", "curl-101-pages"]:
    r = nm[name]
    verdict = ("PASS" if r["median"] < 2 else "FAIL") if name.endswith("10k") else ""
    L.append(f"| `{name}` | {ms(r):.1f} ({spread(r)}) | {verdict} |")
L.append("\n## 11. Conditional writes: the README's cron line over 1,000 keys (local server, ModelGates)\n")
L.append("`keyctl update -P prod --match 'ci-*' --yes --if-usage-over 90% --limit +25 --limit-max 500 -q` "
         "against the stand-in's 1,000-key account (10 pages of 100 and the empty last page), of which "
         "every 20th key (50) has spent 47.5 of its 50 (95%). Requests counted by the server for one run; "
         "time: hyperfine `-N`, median. Target: one listing read, 50 writes, under 1 s.\n")
counts = json.load(open(f"{tmp}/cron_counts.json"))
said = open(f"{tmp}/cron_out.txt").read().strip()
audit = open(f"{tmp}/cron_audit.txt").read().strip()
cr = load("cron")["cron-1000"]
gets, patches = counts.get("GET", 0), counts.get("PATCH", 0)
others = {m: n for m, n in counts.items() if m not in ("GET", "PATCH")}
ok = gets == 11 and patches == 50 and not others and cr["median"] < 1 and said == "exit 0"
L.append("| median ms (min–max) | listing GETs | PATCHes | other requests | audit lines | output | verdict |")
L.append("|---|---|---|---|---|---|---|")
L.append(f"| {ms(cr):.1f} ({spread(cr)}) | {gets} | {patches} | {sum(others.values())} | {audit} | "
         f"{'none (exit 0)' if said == 'exit 0' else '`' + ' / '.join(said.splitlines()[-2:]) + '`'} | {'PASS' if ok else 'FAIL'} |")
L.append("\n## 12. Keys as code: plan over 1,000 declared keys across two profiles (local server, ModelGates)\n")
L.append("`keyctl plan -f keys.toml -o json` with 1,000 `[[key]]` tables, 500 in each of two profiles whose "
         "stand-ins hold 500 keys each (5 pages of 100 and the empty last page): every key declared as it is "
         "(limit, reset, expiry, disabled, BYOK) but every 100th, declared with another limit (10 updates, "
         "exit 10). Requests counted by each server for one run; time: hyperfine `-N`, median. Target: one "
         "listing per profile (6 GETs each), nothing else sent, under 1 s.\n")
pc = int(open(f"{tmp}/plan_code.txt").read().strip())
ca, cb = (json.load(open(f"{tmp}/plan_counts_{x}.json")) for x in "ab")
plines = [json.loads(l) for l in open(f"{tmp}/plan_out.jsonl") if l.strip()]
psum = plines[-1].get("summary", {}) if plines else {}
pr = load("plan")["plan-1000"]
pothers = sum(n for c in (ca, cb) for m, n in c.items() if m != "GET")
pok = (ca.get("GET") == 6 and cb.get("GET") == 6 and pothers == 0 and pc == 10
       and psum.get("update") == 10 and psum.get("unchanged") == 990 and pr["median"] < 1)
L.append("| median ms (min–max) | listing GETs (profile a / b) | other requests | exit | plan | verdict |")
L.append("|---|---|---|---|---|---|")
L.append(f"| {ms(pr):.1f} ({spread(pr)}) | {ca.get('GET', 0)} / {cb.get('GET', 0)} | {pothers} | {pc} | "
         f"{psum.get('update', '?')} to update, {psum.get('unchanged', '?')} unchanged | {'PASS' if pok else 'FAIL'} |")
open(out, "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
