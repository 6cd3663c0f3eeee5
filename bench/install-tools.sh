#!/usr/bin/env bash
# Installs the outside tools the benchmarks compare Swath with and the tests check it
# against, from npm into bench/.tools (git-ignored): dependency-cruiser (TypeScript import
# graphs; 17.x reads TypeScript only below 7, hence typescript@5). Idempotent.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS="$HERE/.tools"
DEPCRUISE_VERSION=17.4.3
TYPESCRIPT_VERSION=5.9.3
if [ -x "$TOOLS/node_modules/.bin/depcruise" ] \
  && grep -q "\"version\": \"$DEPCRUISE_VERSION\"" "$TOOLS/node_modules/dependency-cruiser/package.json"; then
  exit 0
fi
echo "bench tools: dependency-cruiser@$DEPCRUISE_VERSION typescript@$TYPESCRIPT_VERSION"
mkdir -p "$TOOLS"
npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
  "dependency-cruiser@$DEPCRUISE_VERSION" "typescript@$TYPESCRIPT_VERSION"
