import Anthropic, * as AnthropicSdk from "@anthropic-ai/sdk"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import OpenAI, * as OpenAiSdk from "openai"
import { LiveConfig } from "./config.ts"
import { makeProviderClient, type ProviderClient } from "./provider.ts"

/** The OpenAI SDK client of the process (moderation, rewrite, history/english, TTS, Realtime). */
export class OpenAiClient extends Context.Service<OpenAiClient, ProviderClient<OpenAI>>()("tutor/live/OpenAiClient") {
  static readonly layer = Layer.effect(
    OpenAiClient,
    Effect.gen(function*() {
      const config = yield* LiveConfig
      return makeProviderClient({
        provider: "openai",
        apiKeyVariable: "OPENAI_API_KEY",
        errors: OpenAiSdk,
        timeoutMs: config.providerTimeoutMs,
        maxRetries: config.maxRetries,
        client: Option.map(config.openAiApiKey, (key) =>
          new OpenAI({
            apiKey: Redacted.value(key),
            baseURL: config.openAiBaseUrl,
            timeout: config.providerTimeoutMs,
            maxRetries: config.maxRetries
          }))
      })
    })
  )
}

/** The Anthropic SDK client of the process (classifier, math). */
export class AnthropicClient
  extends Context.Service<AnthropicClient, ProviderClient<Anthropic>>()("tutor/live/AnthropicClient")
{
  static readonly layer = Layer.effect(
    AnthropicClient,
    Effect.gen(function*() {
      const config = yield* LiveConfig
      return makeProviderClient({
        provider: "anthropic",
        apiKeyVariable: "ANTHROPIC_API_KEY",
        errors: AnthropicSdk,
        timeoutMs: config.providerTimeoutMs,
        maxRetries: config.maxRetries,
        client: Option.map(config.anthropicApiKey, (key) =>
          new Anthropic({
            apiKey: Redacted.value(key),
            baseURL: config.anthropicBaseUrl,
            timeout: config.providerTimeoutMs,
            maxRetries: config.maxRetries
          }))
      })
    })
  )
}
