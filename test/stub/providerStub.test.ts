import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Faults, ProviderStub, stubPcm } from "./providerStub.ts"

/** Posts JSON to the stub with plain fetch, timing the first byte and the whole body. */
const post = (url: string, body: unknown) =>
  Effect.promise(async () => {
    const started = performance.now()
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    const firstByteMs = performance.now() - started
    const bytes = new Uint8Array(await response.arrayBuffer())
    return { status: response.status, headers: response.headers, bytes, firstByteMs, totalMs: performance.now() - started }
  })

describe("provider stub", () => {
  it.live("waits the configured latency before the first byte and the chunk delay between chunks", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      stub.configure("speech", { latencyMs: 120, chunkBytes: 480, chunkDelayMs: 30 })
      const input = "abc" // 3 characters = 1440 bytes = 3 chunks, 2 delays
      const response = yield* post(`${stub.env.OPENAI_BASE_URL}/audio/speech`, { model: "tts-1", voice: "alloy", input })
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(response.bytes, stubPcm(input))
      assert.isAtLeast(response.firstByteMs, 110)
      assert.isAtLeast(response.totalMs - response.firstByteMs, 50)
    }))

  it.live("fails the first N calls, then follows the rest of the configuration; reset restores defaults", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      stub.configure("chat", { reply: () => "scripted", failFirst: { count: 2, fault: Faults.rateLimited(7) } })
      const url = `${stub.env.OPENAI_BASE_URL}/chat/completions`
      const body = { model: "m", messages: [{ role: "user", content: "hi" }] }
      const first = yield* post(url, body)
      assert.strictEqual(first.status, 429)
      assert.strictEqual(first.headers.get("retry-after-ms"), "7")
      assert.strictEqual((yield* post(url, body)).status, 429)
      const third = yield* post(url, body)
      assert.strictEqual(third.status, 200)
      assert.include(new TextDecoder().decode(third.bytes), "\"content\":\"scripted\"")
      assert.lengthOf(stub.requests("chat"), 3)

      stub.reset()
      assert.lengthOf(stub.requests("chat"), 0)
      assert.include(new TextDecoder().decode((yield* post(url, body)).bytes), "stub's answer to \\\"hi\\\"")
    }))

  it.live("answers unknown routes with 404", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      assert.strictEqual((yield* post(`${stub.url}/v1/embeddings`, {})).status, 404)
    }))
})
