import { Config, Context, Effect, Layer, Option, Schema, Stream } from "effect"
import { Guardrail } from "../services/Guardrail.ts"
import type { Realtime } from "../services/Realtime.ts"
import type { Safety } from "../services/Safety.ts"
import { type AnswerSubject, Specialists } from "../services/Specialists.ts"
import { Speech } from "../services/Speech.ts"
import { DEFAULT_PRICES, PriceTable, Prices } from "../services/Usage.ts"
import { GuardrailLive, RealtimeLive, SpecialistsLive, SpeechLive } from "./live/index.ts"
import { liveConfig } from "./live/config.ts"
import { GuardrailLocal } from "./local/GuardrailLocal.ts"
import { RealtimeUnavailable } from "./local/realtime.ts"
import { type SafetyModel, SafetyLocal, SafetyModelLive } from "./local/safety/SafetyLocal.ts"
import { SpecialistsLocal } from "./local/SpecialistsLocal.ts"
import { SpeechLocal } from "./local/SpeechLocal.ts"

export type TutorProviders = Guardrail | Safety | Specialists | Speech | Realtime

export const ProviderMode = Schema.Literals(["auto", "live", "local"])
export type ProviderMode = typeof ProviderMode.Type

export const CAPABILITIES = ["moderation", "classifier", "math", "history", "english", "speech", "realtime"] as const
export type Capability = typeof CAPABILITIES[number]

/** The key each capability's live provider needs (SPEC §7). */
const KEY_OF: Readonly<Record<Capability, "OPENAI_API_KEY" | "ANTHROPIC_API_KEY">> = {
  moderation: "OPENAI_API_KEY",
  classifier: "ANTHROPIC_API_KEY",
  math: "ANTHROPIC_API_KEY",
  history: "OPENAI_API_KEY",
  english: "OPENAI_API_KEY",
  speech: "OPENAI_API_KEY",
  realtime: "OPENAI_API_KEY"
}

export interface ProviderChoice {
  readonly capability: Capability
  readonly provider: "live" | "local"
  /** model id (live) or engine (local), for the start-up table */
  readonly model: string
}
export type ProviderPlan = Readonly<Record<Capability, ProviderChoice>>

export class MissingProviderKeys extends Schema.TaggedError<MissingProviderKeys>()("MissingProviderKeys", {
  variables: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `TUTOR_PROVIDERS=live needs ${this.variables.join(" and ")} to be set`
  }
}

const LOCAL_ENGINE: Readonly<Record<Capability, string>> = {
  moderation: "lexicon",
  classifier: "lexical scoring",
  math: "solver",
  history: "knowledge base",
  english: "knowledge base + grammar helper",
  speech: "eSpeak NG (WASM)",
  realtime: "not available: typed questions + backend audio"
}

/**
 * Decides, per capability, live when its key is set and local otherwise; `live` demands every key
 * and `local` ignores them.
 */
export const planProviders = (
  mode: ProviderMode,
  keys: { readonly OPENAI_API_KEY: boolean; readonly ANTHROPIC_API_KEY: boolean },
  liveModels: Readonly<Record<Capability, string>>
): Effect.Effect<ProviderPlan, MissingProviderKeys> => {
  if (mode === "live") {
    const missing = [...new Set(CAPABILITIES.map((capability) => KEY_OF[capability]))].filter((key) => !keys[key])
    if (missing.length > 0) return Effect.fail(new MissingProviderKeys({ variables: missing }))
  }
  const choose = (capability: Capability): ProviderChoice =>
    mode !== "local" && keys[KEY_OF[capability]]
      ? { capability, provider: "live", model: liveModels[capability] }
      : { capability, provider: "local", model: LOCAL_ENGINE[capability] }
  return Effect.succeed({
    moderation: choose("moderation"),
    classifier: choose("classifier"),
    math: choose("math"),
    history: choose("history"),
    english: choose("english"),
    speech: choose("speech"),
    realtime: choose("realtime")
  })
}

export const formatPlan = (plan: ProviderPlan): string => {
  const width = Math.max(...CAPABILITIES.map((capability) => capability.length))
  return CAPABILITIES.map((capability) => {
    const choice = plan[capability]
    return `  ${capability.padEnd(width)} → ${choice.provider} (${choice.model})`
  }).concat(`  ${"safety".padEnd(width)} → local (${SAFETY_ENGINE}), always, before any provider`).join("\n")
}

/** The safety check is not a choice: the local model reads every message, with or without keys. */
const SAFETY_ENGINE = "sentence encoder + trained head + lexicon"

/**
 * Live moderation that, when the provider fails, asks the local lexicon before giving up: only
 * when both cannot decide is the sentence withheld (the tutor fails closed on the error).
 */
export const withLocalModerationFallback = (live: Guardrail["Service"], local: Guardrail["Service"]) =>
  Guardrail.of({
    moderate: (text) =>
      live.moderate(text).pipe(
        Effect.catchTag("ProviderError", (error) =>
          Effect.logWarning("live moderation failed; using the local lexicon", error.message).pipe(
            Effect.andThen(local.moderate(text))
          ))
      ),
    rewrite: live.rewrite
  })

const serviceOf = <I, S, E, R>(key: Context.Key<I, S>, layer: Layer.Layer<I, E, R>) =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, key))

/** Without the optional eSpeak package, local speech answers every call with `unavailable`: text still works. */
const SpeechLocalOrSilent = SpeechLocal.pipe(
  Layer.catchTag("ProviderError", (error) =>
    Layer.effect(
      Speech,
      Effect.as(
        Effect.logWarning("local speech unavailable; answers will be text only", error.message),
        Speech.of({ synthesize: () => Stream.fail(error) })
      )
    ))
)

const providersFromPlan = (plan: ProviderPlan): Layer.Layer<TutorProviders, Config.ConfigError, SafetyModel> => {
  const isLive = (capability: Capability) => plan[capability].provider === "live"

  const guardrail = Layer.effect(
    Guardrail,
    Effect.gen(function*() {
      const local = yield* serviceOf(Guardrail, GuardrailLocal)
      if (!isLive("moderation")) return local
      return withLocalModerationFallback(yield* serviceOf(Guardrail, GuardrailLive), local)
    })
  )

  const specialists = Layer.effect(
    Specialists,
    Effect.gen(function*() {
      const byProvider = {
        live: yield* serviceOf(Specialists, SpecialistsLive),
        local: yield* serviceOf(Specialists, SpecialistsLocal)
      }
      const answerers: Readonly<Record<AnswerSubject, Specialists["Service"]>> = {
        math: byProvider[plan.math.provider],
        history: byProvider[plan.history.provider],
        english: byProvider[plan.english.provider]
      }
      return Specialists.of({
        classify: byProvider[plan.classifier.provider].classify,
        // the guess stands in for the classifier, so it comes from the classifier's side
        guess: byProvider[plan.classifier.provider].guess,
        answer: (subject, question, history) => answerers[subject].answer(subject, question, history)
      })
    })
  )

  return Layer.mergeAll(
    guardrail,
    // the safety check is always the local model, also with live providers (SPEC §12)
    SafetyLocal,
    specialists,
    isLive("speech") ? SpeechLive : SpeechLocalOrSilent,
    isLive("realtime") ? RealtimeLive : RealtimeUnavailable
  )
}

/** The price table for cost estimates: TUTOR_PRICES (JSON, USD per million tokens by model prefix) over the defaults. */
export const PricesFromConfig = Layer.effect(
  Prices,
  Effect.map(
    Config.option(Config.schema(Schema.fromJsonString(PriceTable), "TUTOR_PRICES")),
    (overrides) => ({ ...DEFAULT_PRICES, ...Option.getOrElse(overrides, () => ({})) })
  )
)

/** The providers the tutor runs on, chosen from the environment and logged as one table at start-up. */
export const TutorProvidersLive: Layer.Layer<TutorProviders, MissingProviderKeys | Config.ConfigError> = Layer.unwrap(
  Effect.gen(function*() {
    const mode = yield* Config.schema(ProviderMode, "TUTOR_PROVIDERS").pipe(Config.withDefault("auto" as const))
    const config = yield* liveConfig
    const plan = yield* planProviders(
      mode,
      { OPENAI_API_KEY: Option.isSome(config.openAiApiKey), ANTHROPIC_API_KEY: Option.isSome(config.anthropicApiKey) },
      {
        moderation: `${config.models.moderation}, rewrite ${config.models.rewrite}`,
        classifier: config.models.classifier,
        math: config.models.math,
        history: config.models.history,
        english: config.models.english,
        speech: config.models.tts,
        realtime: config.models.realtime
      }
    )
    yield* Effect.logInfo(`providers (TUTOR_PROVIDERS=${mode}):\n${formatPlan(plan)}`)
    return Layer.merge(providersFromPlan(plan), PricesFromConfig).pipe(Layer.provide(SafetyModelLive))
  })
)
