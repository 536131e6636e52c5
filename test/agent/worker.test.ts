import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { resolve } from "node:path"
import { afterEach, describe, expect, it } from "vitest"

const NODE = resolve("node_modules/.bin/node")
const MAIN = resolve("src/agent/main.ts")

/** The worker and the job processes it forks share one process group, killed together. */
const startWorker = (env: Record<string, string>) => {
  const child = spawn(NODE, [MAIN], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString()))
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)))
  return { child, exited, output: () => output }
}

const running: Array<ChildProcess> = []
afterEach(() => {
  for (const child of running.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, "SIGKILL")
  }
})

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer()
    server.on("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => typeof address === "object" && address !== null ? done(address.port) : fail(new Error("no port")))
    })
  })

const poll = async <A>(attempt: () => Promise<A | undefined>, deadline: number): Promise<A> => {
  while (Date.now() < deadline) {
    const value = await attempt().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((wait) => setTimeout(wait, 200))
  }
  throw new Error("timed out")
}

describe("npm run agent", () => {
  it("refuses to start without LiveKit settings and names every missing variable", async () => {
    const worker = startWorker({})
    running.push(worker.child)
    expect(await worker.exited).toBe(1)
    expect(worker.output()).toContain("missing environment variables: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET")
  }, 20_000)

  it("refuses to start without the server's database: escalations kept in its own memory would reach nobody", async () => {
    const worker = startWorker({ LIVEKIT_URL: "ws://127.0.0.1:1", LIVEKIT_API_KEY: "key", LIVEKIT_API_SECRET: "secret" })
    running.push(worker.child)
    expect(await worker.exited).toBe(1)
    expect(worker.output()).toContain("Version A's agent needs DATABASE_URL")
    expect(worker.output()).toContain("teachers' inbox")
  }, 20_000)

  it("keeps retrying an unreachable server while its health endpoint answers (red until connected)", async () => {
    const port = await freePort()
    const worker = startWorker({
      LIVEKIT_URL: "ws://127.0.0.1:1",
      LIVEKIT_API_KEY: "key",
      LIVEKIT_API_SECRET: "secret",
      // read by each room's job, not at start: nothing connects to it here
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/postgres",
      AGENT_HEALTH_PORT: String(port)
    })
    running.push(worker.child)
    const deadline = Date.now() + 25_000
    const info = await poll(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/worker`)
      return response.ok ? response.json() : undefined
    }, deadline)
    expect(info).toMatchObject({ agent_name: "learning-orchestrator", sdk_version: "1.9.0" })
    const health = await fetch(`http://127.0.0.1:${port}/`)
    expect(health.status).toBe(503)
    expect(await health.text()).toContain("not connected")
    await poll(async () => worker.output().includes("retrying") ? true : undefined, deadline)
    expect(worker.child.exitCode).toBeNull()
  }, 30_000)
})
