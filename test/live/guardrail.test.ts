import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { GuardrailLive } from "../../src/layers/live/guardrail.ts"
import { Guardrail } from "../../src/services/Guardrail.ts"
import { Faults, STUB_KEYS } from "../stub/providerStub.ts"
import { ChatRequest, ModerationRequest } from "../stub/requests.ts"
import { expectReason, interruptMidRequest, liveAgainstStub, sentBody } from "./harness.ts"

const setup = (env: Readonly<Record<string, string>> = {}) => liveAgainstStub(Guardrail, GuardrailLive, env)

describe("GuardrailLive.moderate", () => {
  it.live("reports the flagged categories in snake_case with their scores", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ OPENAI_MODERATION_MODEL: "omni-moderation-test" })
      stub.configure("moderations", {
        moderate: (input) =>
          input.includes("hurt") ? { flagged: ["violence", "self-harm/intent"], scores: { violence: 0.97 } } : { flagged: [] }
      })

      const flagged = yield* service.moderate("how do I hurt someone")
      assert.isTrue(flagged.flagged)
      assert.deepStrictEqual([...flagged.categories].sort(), ["self_harm_intent", "violence"])
      assert.strictEqual(flagged.scores["violence"], 0.97)
      assert.strictEqual(flagged.scores["self_harm_intent"], 0.9)
      assert.strictEqual(flagged.source, "openai:omni-moderation-test")

      const clean = yield* service.moderate("what is 2 + 2")
      assert.isFalse(clean.flagged)
      assert.deepStrictEqual(clean.categories, [])

      const sent = yield* sentBody(stub, "moderations", ModerationRequest)
      assert.deepStrictEqual(sent, { model: "omni-moderation-test", input: "how do I hurt someone" })
      const [first] = stub.requests("moderations")
      assert.strictEqual(first?.headers["authorization"], `Bearer ${STUB_KEYS.openai}`)
    }))

  it.live("flags for children below the provider's bar: a category over its child threshold counts", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      // the provider's own flag is off: its bar is set for adults
      stub.configure("moderations", { moderate: () => ({ flagged: [], scores: { sexual: 0.3, violence: 0.2 } }) })
      const result = yield* service.moderate("a borderline sentence")
      assert.isTrue(result.flagged)
      assert.deepStrictEqual(result.categories, ["sexual"])
      assert.strictEqual(result.scores["sexual"], 0.3)
    }))

  it.live("retries a 429 and succeeds", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("moderations", { failFirst: { count: 1, fault: Faults.rateLimited() } })
      const result = yield* service.moderate("hello")
      assert.isFalse(result.flagged)
      assert.strictEqual(stub.requests("moderations").length, 2)
    }))

  it.live("a persistent 500 is server_error after the bounded retries", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ PROVIDER_MAX_RETRIES: "2" })
      stub.configure("moderations", { fault: Faults.serverError() })
      const error = expectReason(yield* Effect.flip(service.moderate("hello")), "server_error")
      assert.strictEqual(error.status, 500)
      assert.strictEqual(error.operation, "Guardrail.moderate")
      assert.strictEqual(stub.requests("moderations").length, 3)
    }))

  it.live("a provider that never answers is a timeout, and the request is abandoned", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ PROVIDER_TIMEOUT_MS: "250" })
      stub.configure("moderations", { fault: Faults.hang })
      expectReason(yield* Effect.flip(service.moderate("hello")), "timeout")
      const [request] = stub.requests("moderations")
      assert.strictEqual(yield* Effect.promise(() => request!.settled), "client_closed")
    }))

  it.live("a payload of the wrong shape or not JSON is invalid_response", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("moderations", { fault: Faults.unexpectedShape })
      expectReason(yield* Effect.flip(service.moderate("hello")), "invalid_response")
      stub.configure("moderations", { fault: Faults.invalidJson })
      expectReason(yield* Effect.flip(service.moderate("hello")), "invalid_response")
    }))

  it.live("a 401 is unauthorized and is not retried", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("moderations", { fault: Faults.status(401) })
      expectReason(yield* Effect.flip(service.moderate("hello")), "unauthorized")
      assert.strictEqual(stub.requests("moderations").length, 1)
    }))

  it.live("interrupting the caller aborts the HTTP request", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("moderations", { fault: Faults.hang })
      assert.strictEqual(yield* interruptMidRequest(stub, "moderations", service.moderate("hello")), "client_closed")
    }))

  it.live("an unreachable provider is a connection failure", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ PROVIDER_MAX_RETRIES: "0" })
      yield* Effect.promise(() => stub.close())
      expectReason(yield* Effect.flip(service.moderate("hello")), "connection")
    }))

  it.live("without OPENAI_API_KEY every call is unavailable", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ OPENAI_API_KEY: "" })
      expectReason(yield* Effect.flip(service.moderate("hello")), "unavailable")
      assert.strictEqual(stub.requests("moderations").length, 0)
    }))
})

describe("GuardrailLive.rewrite", () => {
  it.live("sends the flagged text and categories to the rewrite model and returns its text", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ OPENAI_REWRITE_MODEL: "rewrite-model-test" })
      stub.configure("chat", { reply: () => "  Conflicts can be solved by talking.  " })

      const rewritten = yield* service.rewrite("Fight them all.", ["violence", "harassment"])
      assert.strictEqual(rewritten, "Conflicts can be solved by talking.")

      const sent = yield* sentBody(stub, "chat", ChatRequest)
      assert.strictEqual(sent.model, "rewrite-model-test")
      assert.strictEqual(sent.temperature, 0.1)
      assert.strictEqual(sent.max_tokens, 500)
      assert.notStrictEqual(sent.stream, true)
      assert.deepStrictEqual(sent.messages.map((m) => m.role), ["system", "user"])
      assert.include(sent.messages[0]?.content, "content safety editor")
      assert.include(sent.messages[1]?.content, "flagged for: violence, harassment")
      assert.include(sent.messages[1]?.content, "Fight them all.")
    }))

  it.live("an empty rewrite is a failure, never the flagged original", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("chat", { reply: () => "   " })
      expectReason(yield* Effect.flip(service.rewrite("Fight them all.", ["violence"])), "invalid_response")
    }))

  it.live("retries a 429, then maps 500, timeout and malformed payloads", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ PROVIDER_TIMEOUT_MS: "250", PROVIDER_MAX_RETRIES: "1" })
      stub.configure("chat", { reply: () => "Safe text.", failFirst: { count: 1, fault: Faults.rateLimited() } })
      assert.strictEqual(yield* service.rewrite("x", ["violence"]), "Safe text.")
      assert.strictEqual(stub.requests("chat").length, 2)

      stub.configure("chat", { fault: Faults.serverError() })
      expectReason(yield* Effect.flip(service.rewrite("x", ["violence"])), "server_error")
      stub.configure("chat", { fault: Faults.hang })
      expectReason(yield* Effect.flip(service.rewrite("x", ["violence"])), "timeout")
      stub.configure("chat", { fault: Faults.unexpectedShape })
      expectReason(yield* Effect.flip(service.rewrite("x", ["violence"])), "invalid_response")
    }))
})
