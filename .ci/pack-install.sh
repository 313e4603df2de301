#!/usr/bin/env bash
# Packs the package, installs the tarball into a temporary prefix as a user would (`npm install -g`), and
# runs the installed `fluence enrich --sandbox` on a fixture from a directory outside the repository.
# Exits non-zero, with one line saying what failed, when any step does.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$repo"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
[ -f "$work/$tarball" ] || { echo "pack-install: npm pack gave no tarball"; exit 1; }

# Only what runs may ship: no sources, tests or benchmarks.
if tar -tzf "$work/$tarball" | grep -E '^package/(src|test|bench|fixtures|\.ci)/' >/dev/null; then
  echo "pack-install: the tarball ships files outside bin/, dist/ and the docs"; exit 1
fi

npm install -g --prefix "$work/prefix" "$work/$tarball" --no-audit --no-fund >/dev/null \
  || { echo "pack-install: npm install -g of $tarball failed"; exit 1; }

mkdir -p "$work/elsewhere"
cp "$repo/fixtures/leads.csv" "$work/elsewhere/leads.csv"
cd "$work/elsewhere"
HOME="$work/home" "$work/prefix/bin/fluence" --version
HOME="$work/home" "$work/prefix/bin/fluence" enrich leads.csv --sandbox --quiet \
  || { echo "pack-install: the installed fluence enrich --sandbox failed"; exit 1; }
for f in leads.enriched.csv leads.errors.csv leads.summary.json; do
  [ -s "$f" ] || { echo "pack-install: $f was not written"; exit 1; }
done
node -e '
  const s = JSON.parse(require("node:fs").readFileSync("leads.summary.json", "utf8"));
  if (!(s.enriched > 0)) { console.log("pack-install: nothing was enriched"); process.exit(1); }
  console.log(`pack-install: ok (${s.rows} rows, ${s.enriched} enriched)`);
'
# The library entry of the installed package loads through its "exports".
cd "$work/prefix/lib/node_modules/fluence-enrich" && node --input-type=module \
  -e 'const m = await import("fluence-enrich"); if (typeof m.enrich !== "function") process.exit(1);' \
  || { echo "pack-install: the installed package's library entry did not load"; exit 1; }
