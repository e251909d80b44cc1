#!/usr/bin/env bash
# The main job: provisions the flagship stack against a local AWS emulator
# (moto server, installed into .venv at a pinned version and started on a free
# loopback port) and prints its outputs. The project is copied to a temporary
# folder so the emulator's throwaway resources never mix with real state.
#
#   scripts/quickstart.sh            the AWS SDK build, against moto
#   scripts/quickstart.sh --memory   no SDK build and no emulator: the same
#                                    stack on tapctl's in-memory cloud
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

mode=aws
case "${1:-}" in
    "") ;;
    --memory) mode=memory ;;
    *) echo "usage: scripts/quickstart.sh [--memory]" >&2; exit 2 ;;
esac

shared="${TAPCTL_SHARED_TARGET:-$HOME/.cache/tapctl/target}"
if [[ -z "${CARGO_TARGET_DIR:-}" && -d "$shared" ]]; then
    export CARGO_TARGET_DIR="$shared"
fi
target="${CARGO_TARGET_DIR:-$repo/target}"
# The build without the SDK lives apart, so neither build undoes the other.
[[ "$mode" == memory ]] && target="$target/no-sdk"
tapctl="$target/debug/tapctl"

# Measured on a 2-core machine (see the README's quick start).
if [[ ! -x "$tapctl" ]]; then
    if [[ "$mode" == aws ]]; then
        echo "quickstart: first build of tapctl with the AWS SDK: 6 to 8 minutes on 2 cores," >&2
        echo "quickstart: up to 7 GB of memory (compiling aws-sdk-ec2) and 3.5 GB of disk in the target folder." >&2
        echo "quickstart: for a start in about a minute without the SDK: scripts/quickstart.sh --memory" >&2
    else
        echo "quickstart: first build of tapctl without the AWS SDK: about 1 minute on 2 cores, 0.6 GB of memory, 0.5 GB of disk." >&2
    fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tapctl-quickstart.XXXXXX")"
cp deploy.toml "$work/"
cp -r stacks "$work/"

if [[ "$mode" == memory ]]; then
    CARGO_TARGET_DIR="$target" cargo build --locked --no-default-features --bin tapctl
    "$tapctl" --cwd "$work" --cloud memory up --yes
    echo
    echo "State and the in-memory cloud are in $work."
    exit 0
fi

server="$(scripts/moto-env.sh)"
cargo build --locked --bin tapctl

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
