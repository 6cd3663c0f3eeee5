#!/usr/bin/env bash
# Installs what the end-to-end test needs: Debian's Chromium and ripgrep (apt), and
# code-server 4.100.3 + playwright-core (npm) into client-vscode/e2e/.tools (git-ignored).
# Idempotent: a second run skips what is already there.
# Why the environment below: see ../../docs/editors.md (no network beyond Debian and npm).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS="$HERE/.tools"
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
RG_CACHE_VERSION=1.15.11
RG_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
start=$(date +%s)

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
dpkg -s fonts-liberation >/dev/null 2>&1 || need_apt+=(fonts-liberation)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "e2e install: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/cs/node_modules/.bin/code-server" ]; then
  echo "e2e install: code-server@$CODE_SERVER_VERSION (compiles native modules; a few minutes)"
  # @vscode/ripgrep's postinstall downloads from GitHub, which is unreachable here: its cache
  # is pre-seeded with Debian's rg under a TMPDIR inside the checkout.
  tmp="$TOOLS/tmp"
  mkdir -p "$tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION" "$tmp/rgpack"
  if [ ! -f "$tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION/$RG_TARBALL" ]; then
    cp "$(command -v rg)" "$tmp/rgpack/rg"
    tar -czf "$tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION/$RG_TARBALL" -C "$tmp/rgpack" rg
  fi
  rm -rf "$TOOLS/cs"
  mkdir -p "$TOOLS/cs"
  # The headers in /usr/include/node match the machine's Node, so node-gyp needs no download;
  # node-pty's postinstall runs `npx node-gyp`, which aborts on its prompt without npm_config_yes.
  TMPDIR="$tmp" npm_config_nodedir=/usr npm_config_yes=true \
    npm_config_cache="$TOOLS/npm-cache" \
    npm install --prefix "$TOOLS/cs" --no-audit --no-fund --unsafe-perm --foreground-scripts \
    --loglevel=error "code-server@$CODE_SERVER_VERSION" >"$TOOLS/cs-install.log" 2>&1 \
    || { tail -40 "$TOOLS/cs-install.log"; exit 1; }
fi
if [ ! -d "$TOOLS/pw/node_modules/playwright-core" ]; then
  echo "e2e install: playwright-core@$PLAYWRIGHT_VERSION"
  mkdir -p "$TOOLS/pw"
  npm_config_cache="$TOOLS/npm-cache" npm install --prefix "$TOOLS/pw" --no-audit --no-fund \
    --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION"
fi
echo "e2e install: done in $(( $(date +%s) - start )) s"
