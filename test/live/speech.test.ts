import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { SpeechLive } from "../../src/layers/live/speech.ts"
import { Speech } from "../../src/services/Speech.ts"
import { Faults, stubPcm } from "../stub/providerStub.ts"
import { SpeechRequest } from "../stub/requests.ts"
import { expectReason, interruptMidRequest, liveAgainstStub, sentBody } from "./harness.ts"

const setup = (env: Readonly<Record<string, string>> = {}) => liveAgainstStub(Speech, SpeechLive, env)

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const bytes = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return bytes
}

const sentence = "The answer is four."

describe("SpeechLive.synthesize", () => {
  it.live("streams the PCM bytes of the configured TTS model in the requested voice", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ OPENAI_TTS_MODEL: "tts-test" })
      stub.configure("speech", { chunkBytes: 1000, chunkDelayMs: 2 })

      const chunks = yield* Stream.runCollect(service.synthesize(sentence, "nova"))
      assert.deepStrictEqual(concat(chunks), stubPcm(sentence))

      const sent = yield* sentBody(stub, "speech", SpeechRequest)
      assert.deepStrictEqual(sent, { model: "tts-test", voice: "nova", input: sentence, response_format: "pcm" })
    }))

  it.live("relays each chunk as it arrives, never waiting for the whole body", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      // one chunk, then the provider goes silent: only progressive relaying can return
      stub.configure("speech", { chunkBytes: 480, fault: Faults.stall(1) })
      const [first] = yield* Stream.runCollect(Stream.take(service.synthesize(sentence, "alloy"), 1))
      assert.deepStrictEqual(first, stubPcm(sentence).subarray(0, 480))
    }))

  it.live("retries a 429 before the first chunk; a persistent 500 is server_error", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("speech", { failFirst: { count: 1, fault: Faults.rateLimited() } })
      assert.deepStrictEqual(concat(yield* Stream.runCollect(service.synthesize(sentence, "alloy"))), stubPcm(sentence))
      assert.strictEqual(stub.requests("speech").length, 2)

      stub.configure("speech", { fault: Faults.serverError() })
      const error = expectReason(yield* Effect.flip(Stream.runCollect(service.synthesize(sentence, "alloy"))), "server_error")
      assert.strictEqual(error.operation, "Speech.synthesize")
    }))

  it.live("no response is a timeout", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ PROVIDER_TIMEOUT_MS: "250" })
      stub.configure("speech", { fault: Faults.hang })
      expectReason(yield* Effect.flip(Stream.runCollect(service.synthesize(sentence, "alloy"))), "timeout")
    }))

  it.live("a JSON document instead of audio is invalid_response", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("speech", { fault: Faults.unexpectedShape })
      expectReason(yield* Effect.flip(Stream.runCollect(service.synthesize(sentence, "alloy"))), "invalid_response")
    }))

  it.live("a cut connection is stream_cut, after relaying what arrived", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("speech", { chunkBytes: 480, fault: Faults.cut(2) })
      const received: Array<Uint8Array> = []
      const exit = yield* Effect.exit(
        Stream.runForEach(service.synthesize(sentence, "alloy"), (chunk) => Effect.sync(() => received.push(chunk)))
      )
      assert.deepStrictEqual(concat(received), stubPcm(sentence).subarray(0, 960))
      expectReason(yield* Effect.flip(exit), "stream_cut")
    }))

  it.live("interrupting the consumer aborts the HTTP request, before or during the audio", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      for (const fault of [Faults.hang, Faults.stall(1)]) {
        stub.reset()
        stub.configure("speech", { fault })
        const outcome = yield* interruptMidRequest(stub, "speech", Stream.runDrain(service.synthesize(sentence, "alloy")), 50)
        assert.strictEqual(outcome, "client_closed", fault.kind)
      }
    }))
})
