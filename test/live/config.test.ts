import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { LiveConfig } from "../../src/layers/live/config.ts"

const readConfig = (env: Record<string, string>) =>
  LiveConfig.pipe(
    Effect.provide(LiveConfig.layer),
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
  )

describe("LiveConfig", () => {
  it.effect("defaults to the reference's models and the public endpoints", () =>
    Effect.gen(function*() {
      const config = yield* readConfig({})
      assert.isTrue(Option.isNone(config.openAiApiKey))
      assert.isTrue(Option.isNone(config.anthropicApiKey))
      assert.strictEqual(config.openAiBaseUrl, "https://api.openai.com/v1")
      assert.strictEqual(config.anthropicBaseUrl, "https://api.anthropic.com")
      assert.deepStrictEqual(config.models, {
        classifier: "claude-haiku-4-5-20251001",
        math: "claude-sonnet-4-6",
        history: "gpt-4o",
        english: "gpt-4o",
        moderation: "omni-moderation-latest",
        rewrite: "gpt-4o-mini",
        tts: "tts-1",
        realtime: "gpt-realtime",
        transcription: "gpt-4o-mini-transcribe"
      })
      assert.strictEqual(config.realtimeVoice, "alloy")
      assert.strictEqual(config.providerTimeoutMs, 15_000)
      assert.strictEqual(config.classifierTimeoutMs, 3_000)
      assert.strictEqual(config.maxRetries, 2)
    }))

  it.effect("keeps keys redacted and treats blank keys as absent", () =>
    Effect.gen(function*() {
      const config = yield* readConfig({ OPENAI_API_KEY: " sk-live ", ANTHROPIC_API_KEY: "  " })
      const key = Option.getOrThrow(config.openAiApiKey)
      assert.strictEqual(Redacted.value(key), "sk-live")
      assert.notInclude(String(key), "sk-live")
      assert.isTrue(Option.isNone(config.anthropicApiKey))
    }))

  it.effect("rejects timeouts and retry counts that make no sense", () =>
    Effect.gen(function*() {
      for (const env of [{ PROVIDER_TIMEOUT_MS: "0" }, { CLASSIFIER_TIMEOUT_MS: "fast" }, { PROVIDER_MAX_RETRIES: "-1" }]) {
        const error = yield* Effect.flip(readConfig(env))
        assert.strictEqual(error._tag, "ConfigError")
      }
    }))
})
