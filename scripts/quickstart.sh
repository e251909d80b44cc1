#!/usr/bin/env bash
# The main job: provisions the flagship stack against a local AWS emulator
# (moto server, installed into .venv at a pinned version and started on a free
# loopback port) and prints its outputs. The project is copied to a temporary
# folder so the emulator's throwaway resources never mix with real state.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

shared="${TAPCTL_SHARED_TARGET:-$HOME/.cache/tapctl/target}"
if [[ -z "${CARGO_TARGET_DIR:-}" && -d "$shared" ]]; then
    export CARGO_TARGET_DIR="$shared"
fi

server="$(scripts/moto-env.sh)"
cargo build --locked --quiet --bin tapctl
tapctl="${CARGO_TARGET_DIR:-$repo/target}/debug/tapctl"

work="$(mktemp -d "${TMPDIR:-/tmp}/tapctl-quickstart.XXXXXX")"
cp deploy.toml "$work/"
cp -r stacks "$work/"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/moto-api/"
for _ in range(200):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"moto server did not start on port {sys.argv[1]}; see its log")
PY

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# `up` ends by printing the stack outputs.
"$tapctl" --cwd "$work" --cloud aws up --yes
echo
echo "State and the emulator's log are in $work (the emulator stops now)."
