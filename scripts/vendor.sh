#!/bin/sh
# Re-fetch the vendored front-end files from npm at their pinned versions (make vendor).
# The pages load HTMX from /static; the browser tests inject axe-core. Nothing comes from a CDN.
set -eu
HTMX=2.0.11
AXE=4.14.1
WEB=src/faircollect/entrypoints/web/static/vendor
E2E=tests/e2e/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX" "axe-core@$AXE" >/dev/null)
mkdir -p "$work/htmx" "$work/axe" "$WEB" "$E2E"
tar xzf "$work/htmx.org-$HTMX.tgz" -C "$work/htmx"
tar xzf "$work/axe-core-$AXE.tgz" -C "$work/axe"
cp "$work/htmx/package/dist/htmx.min.js" "$WEB/htmx.min.js"
cp "$work/htmx/package/LICENSE" "$WEB/htmx.LICENSE"
cp "$work/axe/package/axe.min.js" "$E2E/axe.min.js"
cp "$work/axe/package/LICENSE" "$E2E/axe-core.LICENSE"
sum() { sha256sum "$1" | cut -d' ' -f1; }
cat > "$WEB/VENDOR.md" <<MD
# Vendored front-end files

Fetched from the npm registry by \`make vendor\` (scripts/vendor.sh); served from /static, never
from a CDN.

| package | version | file | sha256 |
|---|---|---|---|
| htmx.org | $HTMX | htmx.min.js (from dist/) | $(sum "$WEB/htmx.min.js") |
| htmx.org | $HTMX | htmx.LICENSE (0BSD) | $(sum "$WEB/htmx.LICENSE") |
MD
cat > "$E2E/VENDOR.md" <<MD
# Vendored test files

Fetched from the npm registry by \`make vendor\` (scripts/vendor.sh); the browser tests inject
axe-core into each page they check.

| package | version | file | sha256 |
|---|---|---|---|
| axe-core | $AXE | axe.min.js | $(sum "$E2E/axe.min.js") |
| axe-core | $AXE | axe-core.LICENSE (MPL-2.0) | $(sum "$E2E/axe-core.LICENSE") |
MD
