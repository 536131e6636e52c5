import { Config, Context, Layer, Option, Redacted, Schema } from "effect"

/** A key that is unset or blank counts as absent, so `OPENAI_API_KEY=` in a .env file means "no key". */
const apiKey = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.option(Config.String(name)).pipe(
    Config.map((key) => Option.map(Option.filter(key, (k) => k.trim().length > 0), (k) => Redacted.make(k.trim())))
  )

const text = (name: string, fallback: string) => Config.String(name).pipe(Config.withDefault(fallback))

const positiveInt = (name: string, fallback: number) =>
  Config.schema(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0))), name).pipe(Config.withDefault(fallback))

const nonNegativeInt = (name: string, fallback: number) =>
  Config.schema(Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0))), name).pipe(Config.withDefault(fallback))

/**
 * Everything the live provider layers read from the environment. Keys and base URLs are always
 * passed to the SDKs explicitly (the base URLs default to the public endpoints), so the SDKs never
 * pick them up from `process.env` behind this config's back.
 */
export const liveConfig = Config.all({
  openAiApiKey: apiKey("OPENAI_API_KEY"),
  anthropicApiKey: apiKey("ANTHROPIC_API_KEY"),
  openAiBaseUrl: text("OPENAI_BASE_URL", "https://api.openai.com/v1"),
  anthropicBaseUrl: text("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
  models: Config.all({
    classifier: text("ANTHROPIC_CLASSIFIER_MODEL", "claude-haiku-4-5-20251001"),
    math: text("ANTHROPIC_MATH_MODEL", "claude-sonnet-4-6"),
    history: text("OPENAI_HISTORY_MODEL", "gpt-4o"),
    english: text("OPENAI_ENGLISH_MODEL", "gpt-4o"),
    moderation: text("OPENAI_MODERATION_MODEL", "omni-moderation-latest"),
    rewrite: text("OPENAI_REWRITE_MODEL", "gpt-4o-mini"),
    tts: text("OPENAI_TTS_MODEL", "tts-1"),
    realtime: text("OPENAI_REALTIME_MODEL", "gpt-realtime"),
    transcription: text("OPENAI_TRANSCRIPTION_MODEL", "gpt-4o-mini-transcribe")
  }),
  realtimeVoice: text("REALTIME_VOICE", "alloy"),
  /** deadline of one provider call, retries included; for streams, the wait for each chunk */
  providerTimeoutMs: positiveInt("PROVIDER_TIMEOUT_MS", 15_000),
  /** the classifier sits in front of every answer, so it gets a much shorter deadline */
  classifierTimeoutMs: positiveInt("CLASSIFIER_TIMEOUT_MS", 3_000),
  maxRetries: nonNegativeInt("PROVIDER_MAX_RETRIES", 2),
  /** start the locally guessed specialist while the classifier runs (see `Specialists.guess`) */
  speculativeRouting: Config.Boolean("TUTOR_SPECULATIVE_ROUTING").pipe(Config.withDefault(true))
})

export type LiveConfigShape = Config.Success<typeof liveConfig>

export class LiveConfig extends Context.Service<LiveConfig, LiveConfigShape>()("tutor/live/LiveConfig") {
  static readonly layer = Layer.effect(LiveConfig, liveConfig)
}
