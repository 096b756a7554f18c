#!/usr/bin/env bash
# Benchmarks keyctl against curl on a local server and writes a Markdown report.
#   bash bench/run.sh                 full run, writes bench/RESULTS.md
#   BENCH_QUICK=1 bash bench/run.sh   reduced run (few iterations, 100 keys), report to $BENCH_OUT
# Needs: cargo, python3, curl; installs hyperfine and GNU time from the system packages if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-bench/RESULTS.md}
if [ "$QUICK" = 1 ]; then RUNS=5; WARM=1; NKEYS=100; BIGRUNS=1; else RUNS=40; WARM=5; NKEYS=1000; BIGRUNS=3; fi
CONC=16

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || [ ! -x /usr/bin/time ]; then
  echo "installing hyperfine and time from the system packages" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq hyperfine time >/dev/null
fi

cargo build --release --locked -q
BIN=$PWD/target/release/keyctl
TMP=$(mktemp -d)
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$TMP"; }
PIDS=()
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_server() { # port delay_ms
  python3 bench/server.py "$1" "$2" & PIDS+=($!)
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

# 2. start-up
hyperfine -N --warmup "$WARM" --runs "$RUNS" --export-json "$TMP/startup.json" \
  -n help "$BIN --help" -n version "$BIN --version" >/dev/null

# 3. many keys against a server that adds 20 ms per answer
seq -f "key%06g" 1 "$NKEYS" > "$TMP/keys.txt"
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

python3 - "$TMP" "$OUT" "$NKEYS" "$CONC" "$RSS_ONE" "$RSS_MANY" "$RSS_CURL" "$SIZE" "$QUICK" <<'PY'
import json, os, platform, statistics, subprocess, sys, datetime
tmp, out, nkeys, conc, rss_one, rss_many, rss_curl, size, quick = sys.argv[1:]
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
open(out, "w").write("\n".join(L) + "\n")
print("\n".join(L))
PY
