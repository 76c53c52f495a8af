#!/usr/bin/env sh
# Create bench/.venv-bench with the comparison client (sageintacctsdk from PyPI).
# It is the benchmark's own environment, never a dependency of this project.
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
