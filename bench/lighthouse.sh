#!/usr/bin/env bash
# Lighthouse on the feed (/) of a real `kultialogo run` with the demo content.
#
#   bash bench/lighthouse.sh            (PYTHON=/path/to/venv/bin/python to choose the venv)
#
# Lighthouse comes from npm at a pinned version, installed into bench/.lighthouse (its
# node_modules is git-ignored); Chromium is Debian's (/usr/bin/chromium). Mobile form factor,
# simulated throttling (Lighthouse's defaults: a mid-range phone on slow 4G). Each run is a
# first visit (Lighthouse clears storage). Prints the performance score, FCP, LCP, TBT, CLS and
# total bytes of every run (RUNS, default 3) and the median score: on a small shared machine
# TBT varies from run to run, so read the median. Target: performance at least 98.
set -euo pipefail

LIGHTHOUSE_VERSION=13.5.0
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PYTHON="${PYTHON:-$(command -v python3)}"
CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
TOOLS="$HERE/.lighthouse"
LH="$TOOLS/node_modules/.bin/lighthouse"

if [ ! -x "$LH" ] || [ "$("$LH" --version 2>/dev/null)" != "$LIGHTHOUSE_VERSION" ]; then
  echo "installing lighthouse@$LIGHTHOUSE_VERSION into $TOOLS ..." >&2
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-save --no-package-lock --no-audit --no-fund --silent "lighthouse@$LIGHTHOUSE_VERSION"
fi

DATA="$(mktemp -d)"
PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export KULTIALOGO_DATA_DIR="$DATA"
cd "$ROOT"
"$PYTHON" -m kultialogo.cli demo >/dev/null
"$PYTHON" -m kultialogo.cli run --host 127.0.0.1 --port "$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

URL="http://127.0.0.1:$PORT/"
FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
RUNS="${RUNS:-3}"
for run in $(seq 1 "$RUNS"); do
  CHROME_PATH="$CHROME_PATH" "$LH" "$URL" --quiet --only-categories=performance \
    --form-factor=mobile --throttling-method=simulate --screenEmulation.mobile \
    --chrome-flags="$FLAGS" --output=json --output-path="$DATA/report-$run.json" >/dev/null 2>&1 || {
      echo "lighthouse failed (run $run)" >&2; exit 1; }
done

"$PYTHON" - "$DATA"/report-*.json <<'PY'
import json
import statistics
import sys

print(f"Lighthouse {json.load(open(sys.argv[1]))['lighthouseVersion']}, mobile, simulated throttling, "
      "Debian Chromium, page /")
for number, path in enumerate(sys.argv[1:], 1):
    report = json.load(open(path))
    audits = report["audits"]
    score = round(report["categories"]["performance"]["score"] * 100)
    print(f"run {number}: performance {score:3d} (target >= 98)  "
          f"FCP {audits['first-contentful-paint']['numericValue'] / 1000:.2f} s  "
          f"LCP {audits['largest-contentful-paint']['numericValue'] / 1000:.2f} s  "
          f"TBT {audits['total-blocking-time']['numericValue']:.0f} ms  "
          f"CLS {audits['cumulative-layout-shift']['numericValue']:.3f}  "
          f"total {audits['total-byte-weight']['numericValue'] / 1024:.1f} KiB")
scores = [round(json.load(open(p))["categories"]["performance"]["score"] * 100) for p in sys.argv[1:]]
median = statistics.median(scores)
print(f"median performance {median:g} over {len(scores)} runs (target >= 98)  {'OK' if median >= 98 else 'BELOW'}")
PY
