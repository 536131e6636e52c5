#!/usr/bin/env node
// Effect 4 needs Node >= 22.19; when an older Node starts the command, re-run it on the project's pinned Node.
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const entry = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url))
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major > 22 || (major === 22 && minor >= 19)) {
  await import(entry)
} else {
  const pinnedNode = createRequire(import.meta.url).resolve("node/bin/node")
  const result = spawnSync(pinnedNode, [entry, ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(result.status ?? 1)
}
