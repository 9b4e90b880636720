#!/usr/bin/env bash
# Puts the registry's metadata for every published package's dependencies into npm's cache, so
# that the packaging test can install the packed tarballs with --offline: installing may use the
# registry (CI's set-up, a developer's first run), a test may not. Run from the repository root.
set -euo pipefail
specs=$(node -e '
  const fs = require("fs");
  const out = new Set();
  for (const d of fs.readdirSync("packages")) {
    const p = JSON.parse(fs.readFileSync(`packages/${d}/package.json`, "utf8"));
    // Peers too: npm installs them with the package (@tensorflow/tfjs for @ranklog/tfjs).
    for (const [n, v] of Object.entries({ ...p.dependencies, ...p.peerDependencies })) if (!n.startsWith("@ranklog/")) out.add(`${n}@${v}`);
  }
  // What package READMEs install beside a package (packages/tfjs: @tensorflow/tfjs), which the packaging test installs too.
  out.add("@tensorflow/tfjs@^4.22.0");
  console.log([...out].join(" "));
')
warm=$(mktemp -d)
trap 'rm -rf "$warm"' EXIT
cd "$warm"
echo '{"name":"warm-npm-cache","version":"0.0.0","private":true}' > package.json
# shellcheck disable=SC2086
npm install --no-audit --no-fund --prefer-offline --ignore-scripts $specs > /dev/null
echo "warm-npm-cache: npm's cache holds what the packed packages depend on"
