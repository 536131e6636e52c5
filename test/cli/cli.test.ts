import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type ProviderStubApi, startProviderStub } from "../stub/providerStub.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the `tutor` command as a user would, with only the given environment (no keys leak in). */
const tutor = (args: ReadonlyArray<string>, env: Record<string, string>, stdin = ""): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bin/tutor.js"), ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })

const EventLine = Schema.fromJsonString(Schema.Struct({ type: Schema.String }))
const eventTypes = (stdout: string) =>
  stdout.trim().split("\n").map((line) => Schema.decodeUnknownSync(EventLine)(line).type)

describe("tutor ask against the provider stub (live layers, real SDKs)", () => {
  let stub: ProviderStubApi
  beforeAll(async () => {
    stub = await startProviderStub()
    stub.configure("anthropicMessages", {
      reply: ({ body }) =>
        JSON.stringify(body).includes("haiku")
          ? "math 0.95"
          : "25% of 80 is 20. That's because 0.25 times 80 equals 20."
    })
  })
  afterAll(() => stub.close())

  it("prints classified, sentence and done events as JSON lines", async () => {
    const run = await tutor(["ask", "What is 25% of 80?", "--json"], { ...stub.env })
    expect(run.code).toBe(0)
    const types = eventTypes(run.stdout)
    expect(types[0]).toBe("classified")
    expect(types.filter((type) => type === "sentence")).toHaveLength(2)
    expect(types.at(-1)).toBe("done")
    expect(run.stdout).toContain("\"subject\":\"math\"")
    expect(run.stdout).toContain("25% of 80 is 20.")
    // every sentence was moderated through the stub before it was printed
    expect(stub.requests("moderations").length).toBeGreaterThanOrEqual(3)
    expect(run.stderr).toMatch(/classifier\s+→ live \(claude-haiku/)
  })
})

describe("tutor with no keys at all (local providers)", () => {
  it("answers a question read from stdin: 25% of 80 is 20", async () => {
    const run = await tutor(["ask"], {}, "What is 25% of 80?\n")
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/\b20\b/)
    expect(run.stderr).toMatch(/math\s+→ local \(solver\)/)
  })

  it("solves a quadratic with both roots and writes a playable 24 kHz mono WAV", async () => {
    const wav = join(mkdtempSync(join(tmpdir(), "tutor-cli-")), "out.wav")
    const run = await tutor(["ask", "Solve 2x² + 5x - 3 = 0", "--audio", wav], {})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/one half|1\/2/)
    expect(run.stdout).toMatch(/negative 3|-3/)
    const file = readFileSync(wav)
    expect(file.subarray(0, 4).toString("ascii")).toBe("RIFF")
    expect(file.subarray(8, 12).toString("ascii")).toBe("WAVE")
    expect(file.readUInt16LE(22)).toBe(1) // mono
    expect(file.readUInt32LE(24)).toBe(24_000)
    expect(file.readUInt16LE(34)).toBe(16)
    const dataBytes = file.readUInt32LE(40)
    expect(dataBytes).toBe(file.length - 44)
    expect(dataBytes / 2 / 24_000).toBeGreaterThan(2) // seconds of speech, not silence or a header
  })

  it("classify prints one JSON line per question, from plain lines or JSONL", async () => {
    const run = await tutor(["classify"], {}, "What is 2 + 2?\n{\"text\":\"Who was Napoleon?\"}\n")
    const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown)
    expect(lines).toEqual([
      expect.objectContaining({ text: "What is 2 + 2?", subject: "math" }),
      expect.objectContaining({ text: "Who was Napoleon?", subject: "history" })
    ])
  })

  it("segment prints one JSON line per sentence", async () => {
    const run = await tutor(["segment"], {}, "Dr. Smith paid $4.99. Then he left")
    expect(run.stdout.trim().split("\n")).toEqual([
      JSON.stringify({ sentence: "Dr. Smith paid $4.99." }),
      JSON.stringify({ sentence: "Then he left" })
    ])
  })

  it("TUTOR_PROVIDERS=live without keys refuses to start and names the missing variables", async () => {
    const run = await tutor(["ask", "hi"], { TUTOR_PROVIDERS: "live" })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain("OPENAI_API_KEY")
    expect(run.stderr).toContain("ANTHROPIC_API_KEY")
  })
})
