import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build } from "vite"
import type { TestProject } from "vitest/node"

const root = new URL("../..", import.meta.url).pathname

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const waitForHealth = async (url: string, server: ChildProcess, logs: () => string): Promise<void> => {
  // a fresh embedded database (PGlite initdb + migrations) takes seconds, far more on a busy machine
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${logs()}`)
    const ok = await fetch(`${url}/health`).then((response) => response.ok, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`the server did not answer /health within 90 s:\n${logs()}`)
}

/** Provider keys that would switch the server off its local, keyless providers. */
const LIVE_ENV = /^(OPENAI_|ANTHROPIC_|LIVEKIT_|DATABASE_URL$|LANGFUSE_|OTEL_)/

/**
 * Builds the web app, then starts the real server (`src/main.ts`) on a free port with local
 * providers and a throw-away data directory; the tests get its URL through `inject("baseUrl")`.
 */
export default async function setup(project: TestProject) {
  await build({ configFile: join(root, "web/vite.config.ts"), logLevel: "warn" })
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), "tutor-e2e-"))
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !LIVE_ENV.test(name)))
  let output = ""
  const server = spawn(process.execPath, [join(root, "src/main.ts")], {
    cwd: root,
    env: { ...env, HOST: "127.0.0.1", PORT: String(port), TUTOR_DATA_DIR: dataDir, BACKEND_B_WS_URL: `ws://127.0.0.1:${port}` },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  server.stdout?.on("data", collect)
  server.stderr?.on("data", collect)
  const baseUrl = `http://127.0.0.1:${port}`
  try {
    await waitForHealth(baseUrl, server, () => output)
    const page = await fetch(`${baseUrl}/student?v=b`, { headers: { accept: "text/html" } })
    if (!page.ok || !(page.headers.get("content-type") ?? "").includes("text/html")) {
      throw new Error(`the server does not serve the web app (web/dist) at /student: HTTP ${page.status}`)
    }
  } catch (error) {
    server.kill("SIGKILL")
    throw error
  }
  project.provide("baseUrl", baseUrl)
  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve))
      server.kill("SIGTERM")
      await exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}
