import { assert, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { testGuardrail } from "../../src/layers/test/guardrail.ts"
import { GuardrailLocal } from "../../src/layers/local/GuardrailLocal.ts"
import { SafetyModelLive } from "../../src/layers/local/safety/SafetyLocal.ts"
import {
  CAPABILITIES,
  formatPlan,
  planProviders,
  PricesFromConfig,
  withLocalModerationFallback
} from "../../src/layers/providers.ts"
import { Guardrail } from "../../src/services/Guardrail.ts"
import { Prices } from "../../src/services/Usage.ts"

const models = {
  moderation: "moderation-model",
  classifier: "classifier-model",
  math: "math-model",
  history: "history-model",
  english: "english-model",
  speech: "speech-model",
  realtime: "realtime-model"
}

describe("provider selection", () => {
  it.effect("auto: live where the capability's key is set, local elsewhere", () =>
    Effect.gen(function*() {
      const plan = yield* planProviders("auto", { OPENAI_API_KEY: true, ANTHROPIC_API_KEY: false }, models)
      expect(CAPABILITIES.map((capability) => [capability, plan[capability].provider])).toEqual([
        ["moderation", "live"],
        ["classifier", "local"],
        ["math", "local"],
        ["history", "live"],
        ["english", "live"],
        ["speech", "live"],
        ["realtime", "live"]
      ])
      expect(plan.history.model).toBe("history-model")
      expect(plan.math.model).toBe("solver")
    }))

  it.effect("auto with no keys is all local; local ignores keys", () =>
    Effect.gen(function*() {
      const none = yield* planProviders("auto", { OPENAI_API_KEY: false, ANTHROPIC_API_KEY: false }, models)
      const forced = yield* planProviders("local", { OPENAI_API_KEY: true, ANTHROPIC_API_KEY: true }, models)
      for (const plan of [none, forced]) {
        expect(CAPABILITIES.every((capability) => plan[capability].provider === "local")).toBe(true)
      }
    }))

  it.effect("live with a missing key fails and names the variable", () =>
    Effect.gen(function*() {
      const error = yield* planProviders("live", { OPENAI_API_KEY: true, ANTHROPIC_API_KEY: false }, models).pipe(Effect.flip)
      expect(error.variables).toEqual(["ANTHROPIC_API_KEY"])
      expect(error.message).toContain("ANTHROPIC_API_KEY")
    }))

  it.effect("the start-up table has one line per capability: capability → provider (model)", () =>
    Effect.gen(function*() {
      const plan = yield* planProviders("auto", { OPENAI_API_KEY: false, ANTHROPIC_API_KEY: true }, models)
      const lines = formatPlan(plan).split("\n")
      expect(lines).toHaveLength(CAPABILITIES.length + 1)
      // the safety check is local whatever the keys
      expect(lines.at(-1)).toMatch(/^\s*safety\s+→ local \(.+\), always, before any provider$/)
      expect(lines[1]).toMatch(/^\s*classifier\s+→ live \(classifier-model\)$/)
      expect(lines[0]).toMatch(/^\s*moderation\s+→ local \(lexicon\)$/)
    }))
})

const guardrailService = Effect.gen(function*() {
  return yield* Guardrail
})

describe("live moderation falls back to the local lexicon", () => {
  const withFallback = (
    live: Layer.Layer<Guardrail>,
    fallback: Layer.Layer<Guardrail> = GuardrailLocal.pipe(Layer.provide(SafetyModelLive))
  ) =>
    Layer.effect(
      Guardrail,
      Effect.gen(function*() {
        const primary = yield* Effect.provide(guardrailService, live)
        const local = yield* Effect.provide(guardrailService, fallback)
        return withLocalModerationFallback(primary, local)
      })
    )
  const liveDown = withFallback(testGuardrail({ failModeration: () => true }))

  it.effect("an outage of live moderation is decided by the lexicon", () =>
    Effect.gen(function*() {
      const guardrail = yield* Guardrail
      const unsafe = yield* guardrail.moderate("I am going to kill you")
      assert.isTrue(unsafe.flagged)
      expect(unsafe.source).toMatch(/^local/)
      const safe = yield* guardrail.moderate("Kill the process and restart it.")
      assert.isFalse(safe.flagged)
    }).pipe(Effect.provide(liveDown)))

  it.effect("when the local check cannot decide either, moderation fails (the tutor withholds the sentence)", () =>
    Effect.gen(function*() {
      const guardrail = yield* Guardrail
      const error = yield* guardrail.moderate("They were shot.").pipe(Effect.flip)
      expect(error.reason).toBe("inconclusive")
    }).pipe(Effect.provide(withFallback(
      testGuardrail({ failModeration: () => true }),
      testGuardrail({ inconclusive: () => true })
    ))))

  it.effect("while live moderation works, it decides", () =>
    Effect.gen(function*() {
      const guardrail = yield* Guardrail
      const verdict = yield* guardrail.moderate("Perfectly normal sentence.")
      expect(verdict.source).toBe("test")
    }).pipe(Effect.provide(withFallback(testGuardrail()))))
})

describe("price table", () => {
  it.effect("TUTOR_PRICES overrides and extends the default prices", () =>
    Effect.gen(function*() {
      const prices = yield* Prices
      expect(prices["gpt-4o"]).toEqual({ input: 2, output: 8 })
      expect(prices["my-local-llama"]).toEqual({ input: 0, output: 0 })
      expect(prices["claude-sonnet-4-6"]).toEqual({ input: 3, output: 15 })
    }).pipe(
      Effect.provide(PricesFromConfig),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
        TUTOR_PRICES: JSON.stringify({ "gpt-4o": { input: 2, output: 8 }, "my-local-llama": { input: 0, output: 0 } })
      })))
    ))
})
