#!/usr/bin/env bash
# Prepares the AWS emulator the tests and the quick start use: a virtualenv at
# <repo>/.venv with moto server at the pinned version and a launcher that runs
# it through scripts/moto_server.py (moto with its answers mended where the
# AWS SDKs refuse them), then prints the launcher's path (the only thing on
# stdout, so callers can capture it). Idempotent: a venv that already has the pinned version is left
# as it is, so a second run costs one `python -c`.
#
#   MOTO_VERSION  override the pin (default below)
#   PYTHON        the interpreter to create the venv with (default python3)
set -euo pipefail

MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
PYTHON="${PYTHON:-python3}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
server="$venv/bin/moto_server"

installed_version() {
    "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true
}

if [[ ! -x "$venv/bin/python" ]]; then
    echo "moto-env: creating $venv" >&2
    "$PYTHON" -m venv "$venv" >&2
fi

if [[ "$(installed_version)" != "$MOTO_VERSION" || ! -x "$server" ]]; then
    echo "moto-env: installing moto[server]==$MOTO_VERSION into $venv" >&2
    # pip's own output goes to stderr: stdout carries only the server's path.
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "moto[server]==$MOTO_VERSION" >&2
fi

got="$(installed_version)"
if [[ "$got" != "$MOTO_VERSION" || ! -x "$server" ]]; then
    echo "moto-env: moto $MOTO_VERSION is not installed in $venv (found '${got:-nothing}')" >&2
    exit 1
fi
launcher="$venv/bin/tapctl-moto-server"
cat >"$launcher.tmp" <<LAUNCHER
#!/usr/bin/env bash
exec "$venv/bin/python" "$repo/scripts/moto_server.py" "\$@"
LAUNCHER
chmod +x "$launcher.tmp"
mv "$launcher.tmp" "$launcher"
echo "$launcher"
