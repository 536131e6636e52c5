import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { RealtimeLive } from "../../src/layers/live/realtime.ts"
import type { ProviderError } from "../../src/services/ProviderError.ts"
import { DISPATCH_TOOL_NAME, Realtime, type RealtimeNotConfigured } from "../../src/services/Realtime.ts"
import { Faults, STUB_KEYS } from "../stub/providerStub.ts"
import { RealtimeSecretRequest } from "../stub/requests.ts"
import { expectReason, interruptMidRequest, liveAgainstStub, sentBody } from "./harness.ts"

const setup = (env: Readonly<Record<string, string>> = {}) => liveAgainstStub(Realtime, RealtimeLive, env)

/** Narrows a mint failure to the provider error the test expects. */
const providerError = (error: ProviderError | RealtimeNotConfigured): ProviderError => {
  assert.strictEqual(error._tag, "ProviderError", error.message)
  if (error._tag !== "ProviderError") throw error
  return error
}

describe("RealtimeLive.mintSession", () => {
  it.live("mints an ephemeral key for a session that routes every question to the orchestrator", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({
        OPENAI_REALTIME_MODEL: "realtime-test",
        REALTIME_VOICE: "verse",
        OPENAI_TRANSCRIPTION_MODEL: "transcribe-test"
      })
      stub.configure("realtimeClientSecret", { secret: () => ({ value: "ek_test_123", expiresAt: 1_900_000_000 }) })

      const session = yield* service.mintSession("session-1")
      assert.deepStrictEqual(session, { clientSecret: "ek_test_123", expiresAt: 1_900_000_000, model: "realtime-test", voice: "verse" })

      const { session: sent } = yield* sentBody(stub, "realtimeClientSecret", RealtimeSecretRequest)
      assert.strictEqual(sent.model, "realtime-test")
      assert.strictEqual(sent.audio.output.voice, "verse")
      assert.strictEqual(sent.audio.input.transcription.model, "transcribe-test")
      assert.strictEqual(sent.tool_choice, "auto")
      assert.include(sent.instructions, `call the ${DISPATCH_TOOL_NAME} tool`)
      assert.include(sent.instructions, "Never answer or reply yourself")
      assert.include(sent.instructions, "say exactly that line and nothing else")
      assert.lengthOf(sent.tools, 1)
      const [tool] = sent.tools
      assert.strictEqual(tool?.name, DISPATCH_TOOL_NAME)
      assert.deepStrictEqual(tool?.parameters.required, ["student_text"])
      assert.strictEqual(tool?.parameters.properties["student_text"]?.type, "string")
      assert.strictEqual(stub.requests("realtimeClientSecret")[0]?.headers["authorization"], `Bearer ${STUB_KEYS.openai}`)
    }))

  it.live("without OPENAI_API_KEY it is RealtimeNotConfigured and calls nobody", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ OPENAI_API_KEY: " " })
      const error = yield* Effect.flip(service.mintSession("session-1"))
      assert.strictEqual(error._tag, "RealtimeNotConfigured")
      assert.lengthOf(stub.requests("realtimeClientSecret"), 0)
    }))

  it.live("retries a 429; maps 500, timeout and malformed payloads", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ PROVIDER_TIMEOUT_MS: "250" })
      stub.configure("realtimeClientSecret", { failFirst: { count: 1, fault: Faults.rateLimited() } })
      assert.strictEqual((yield* service.mintSession("s")).clientSecret, "ek_stub_1")
      assert.strictEqual(stub.requests("realtimeClientSecret").length, 2)

      const mintFails = Effect.flip(service.mintSession("s")).pipe(Effect.map(providerError))
      stub.configure("realtimeClientSecret", { fault: Faults.serverError() })
      expectReason(yield* mintFails, "server_error")
      stub.configure("realtimeClientSecret", { fault: Faults.hang })
      expectReason(yield* mintFails, "timeout")
      stub.configure("realtimeClientSecret", { fault: Faults.unexpectedShape })
      expectReason(yield* mintFails, "invalid_response")
      stub.configure("realtimeClientSecret", { fault: Faults.invalidJson })
      expectReason(yield* mintFails, "invalid_response")
      stub.configure("realtimeClientSecret", { fault: Faults.status(403) })
      expectReason(yield* mintFails, "unauthorized")
    }))

  it.live("interrupting the caller aborts the HTTP request", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("realtimeClientSecret", { fault: Faults.hang })
      assert.strictEqual(yield* interruptMidRequest(stub, "realtimeClientSecret", service.mintSession("s")), "client_closed")
    }))
})
