#!/usr/bin/env sh
# Create the benchmark's two environments, each as a user would install it:
#   bench/.venv-bench  the comparison client (sageintacctsdk from PyPI), never a dependency here
#   bench/.venv-ours   this project with its runtime dependencies only (no test, lint or docs
#                      tools, which would otherwise load with httpx and slow every cold start)
# Usage: sh bench/make_venv.sh [python]   (default: python3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${1:-python3}
venv="$here/.venv-bench"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "sageintacctsdk==1.28.1"
"$venv/bin/python" -c "import sageintacctsdk, importlib.metadata as m; print('sageintacctsdk', m.version('sageintacctsdk'))"
ours="$here/.venv-ours"
if [ ! -x "$ours/bin/python" ]; then
    "$py" -m venv "$ours"
fi
"$ours/bin/python" -m pip install --quiet --disable-pip-version-check "$here/.."
"$ours/bin/python" -c "import intacct_sdk, importlib.metadata as m; print('intacct-timesync', m.version('intacct-timesync'), 'httpx', m.version('httpx'))"
