import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { testSafety } from "../../src/layers/test/safety.ts"
import { GuardrailLive } from "../../src/layers/live/guardrail.ts"
import { SpecialistsLive } from "../../src/layers/live/specialists.ts"
import { testSpeech } from "../../src/layers/test/speech.ts"
import { DEFAULT_PRICES, summarizeUsage } from "../../src/services/Usage.ts"
import { answerTurn } from "../../src/tutor/answerTurn.ts"
import type { TurnEvent } from "../../src/tutor/events.ts"
import { ProviderStub } from "../stub/providerStub.ts"

describe("token usage and cost of a turn", () => {
  it.live("collects every model call's tokens through the real SDKs and prices them", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      stub.configure("anthropicMessages", {
        reply: ({ body }) => JSON.stringify(body).includes("haiku") ? "history 0.9" : "unused",
        chunkChars: 10
      })
      stub.configure("chat", { reply: () => "World War I began in 1914. It ended in 1918.", chunkChars: 10 })
      const providers = Layer.mergeAll(SpecialistsLive, GuardrailLive, testSpeech(), testSafety()).pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(stub.env)))
      )
      const events = yield* Stream.runCollect(
        answerTurn({ sessionId: "usage-1", studentText: "Why did World War I start?", history: [] })
      ).pipe(Effect.provide(providers))
      const done = events.find((event): event is Extract<TurnEvent, { type: "done" }> => event.type === "done")
      expect(done?.subject).toBe("history")
      const usage = done?.usage
      // the stub's Anthropic message reports 12 in / 4 out; the chat stream 12 in / one token per chunk
      expect(usage?.byModel).toEqual([
        { model: "claude-haiku-4-5-20251001", inputTokens: 12, outputTokens: 4 },
        { model: "gpt-4o", inputTokens: 12, outputTokens: 5 }
      ])
      expect(usage?.inputTokens).toBe(24)
      expect(usage?.outputTokens).toBe(9)
      expect(usage?.estimatedCostUsd).toBeCloseTo((12 * 1 + 4 * 5 + 12 * 2.5 + 5 * 10) / 1e6, 12)
    }))
})

describe("summarizeUsage", () => {
  it("prices by the longest matching model prefix and adds calls of one model together", () => {
    const summary = summarizeUsage([
      { model: "gpt-4o-mini", inputTokens: 1_000_000, outputTokens: 0 },
      { model: "gpt-4o", inputTokens: 500_000, outputTokens: 0 },
      { model: "gpt-4o", inputTokens: 500_000, outputTokens: 100_000 }
    ], DEFAULT_PRICES)
    expect(summary.byModel).toEqual([
      { model: "gpt-4o-mini", inputTokens: 1_000_000, outputTokens: 0 },
      { model: "gpt-4o", inputTokens: 1_000_000, outputTokens: 100_000 }
    ])
    expect(summary.estimatedCostUsd).toBeCloseTo(0.15 + 2.5 + 1, 10)
  })

  it("says which models have no price instead of guessing a cost", () => {
    const summary = summarizeUsage([{ model: "my-local-llama", inputTokens: 10, outputTokens: 10 }], DEFAULT_PRICES)
    expect(summary.estimatedCostUsd).toBeNull()
    expect(summary.unpricedModels).toEqual(["my-local-llama"])
  })
})
