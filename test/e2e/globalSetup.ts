import { type ChildProcess, execFile, spawn } from "node:child_process"
import { promisify } from "node:util"
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

/** Runs `tutor` (the CLI) on the test's data directory, as an administrator would; its stdout. */
const tutor = async (env: NodeJS.ProcessEnv, ...args: ReadonlyArray<string>): Promise<string> => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, "src/cli/main.ts"), ...args], { cwd: root, env })
  return stdout
}

/** The one-time sign-in link a CLI or server line printed, as a path (`/teacher/sign-in#…`). */
const signInPath = (text: string): string => {
  const match = /https?:\/\/\S+(\/teacher\/sign-in#\S+)/.exec(text)
  if (!match?.[1]) throw new Error(`no sign-in link in: ${text}`)
  return match[1]
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
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !LIVE_ENV.test(name))),
    HOST: "127.0.0.1",
    PORT: String(port),
    TUTOR_DATA_DIR: dataDir,
    BACKEND_B_WS_URL: `ws://127.0.0.1:${port}`,
    // short enough for a test to see the student's fallback message
    TUTOR_TEACHER_FALLBACK_SECONDS: "20"
  }
  // teacher accounts, made with the CLI before the server opens the embedded database
  const teacherLinks = {
    ada: signInPath(await tutor(env, "teacher", "add", "--name", "Ada Teacher", "--email", "ada@e2e.example")),
    bob: signInPath(await tutor(env, "teacher", "add", "--name", "Bob Teacher", "--email", "bob@e2e.example")),
    lead: signInPath(await tutor(env, "teacher", "add", "--name", "Safeguarding Lead", "--email", "lead@e2e.example", "--admin")),
    adaPhone: signInPath(await tutor(env, "teacher", "link", "--email", "ada@e2e.example"))
  }
  let output = ""
  const server = spawn(process.execPath, [join(root, "src/main.ts")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] })
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
  for (let waited = 0; !output.includes("DEMO ONLY") && waited < 20_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  project.provide("baseUrl", baseUrl)
  // the embedded default's demo teacher, whose link the start-up log prints
  project.provide("teacherLinks", { ...teacherLinks, demo: signInPath(output.split("\n").find((line) => line.includes("DEMO ONLY")) ?? "") })
  return async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve))
      server.kill("SIGTERM")
      await exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}
