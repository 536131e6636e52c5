import { Effect, Layer, Schema } from "effect"
import { Guardrail, type ModerationResult } from "../../services/Guardrail.ts"
import { OpenAiClient } from "./clients.ts"
import { LiveConfig } from "./config.ts"
import { recordTokens } from "./provider.ts"
import { ChatCompletion, chatUsage, completionText } from "./wire.ts"

const ModerationResponse = Schema.Struct({
  results: Schema.NonEmptyArray(Schema.Struct({
    flagged: Schema.Boolean,
    // older moderation models report null for categories they do not cover
    categories: Schema.Record(Schema.String, Schema.NullOr(Schema.Boolean)),
    category_scores: Schema.Record(Schema.String, Schema.NullOr(Schema.Number))
  }))
})

/** `self-harm/intent` → `self_harm_intent`: the snake_case names the reference reported. */
const categoryName = (name: string): string => name.replace(/[-/]/g, "_")

/**
 * The score from which a category counts as flagged for an audience of children, whatever the
 * provider's own `flagged` bit says (its bar is set for adults). A category the provider flags
 * stays flagged; one not listed here counts only when the provider flags it.
 */
export const CHILD_THRESHOLDS: Readonly<Record<string, number>> = {
  sexual: 0.1,
  sexual_minors: 0.01,
  self_harm: 0.1,
  self_harm_intent: 0.05,
  self_harm_instructions: 0.05,
  hate: 0.2,
  hate_threatening: 0.1,
  harassment: 0.3,
  harassment_threatening: 0.2,
  violence: 0.5,
  violence_graphic: 0.3,
  illicit: 0.3,
  illicit_violent: 0.2
}

/** The categories flagged for children: the provider's, and any over its child threshold. */
export const flaggedForChildren = (
  providerFlags: ReadonlyArray<string>,
  scores: Readonly<Record<string, number>>
): ReadonlyArray<string> => {
  const overThreshold = Object.entries(scores).flatMap(([name, score]) => {
    const threshold = CHILD_THRESHOLDS[name]
    return threshold !== undefined && score >= threshold ? [name] : []
  })
  return [...new Set([...providerFlags, ...overThreshold])].toSorted()
}

export const REWRITE_SYSTEM_PROMPT =
  "You are a content safety editor for an educational AI tutor. You rewrite content to be safe " +
  "and appropriate for students while preserving its educational value."

const rewritePrompt = (text: string, categories: ReadonlyArray<string>): string =>
  `The following tutor response was flagged for: ${categories.join(", ")}. ` +
  "Please rewrite it to be completely safe and appropriate for students, while keeping the educational value. " +
  `Reply with the rewritten text only.\n\n${text}`

const make = Effect.gen(function*() {
  const openai = yield* OpenAiClient
  const { models } = yield* LiveConfig

  const moderate = Effect.fn("Guardrail.moderate")(function*(text: string) {
    const operation = "Guardrail.moderate"
    const response = yield* openai.call(
      operation,
      (client, options) => client.moderations.create({ model: models.moderation, input: text }, options)
    )
    const [result] = (yield* openai.decode(operation, ModerationResponse)(response)).results
    const scores: Record<string, number> = Object.fromEntries(
      Object.entries(result.category_scores).flatMap(([name, score]) => score === null ? [] : [[categoryName(name), score]])
    )
    const categories = flaggedForChildren(
      Object.entries(result.categories).flatMap(([name, flagged]) => flagged === true ? [categoryName(name)] : []),
      scores
    )
    const moderation: ModerationResult = {
      flagged: result.flagged || categories.length > 0,
      categories,
      scores,
      source: `openai:${models.moderation}`
    }
    yield* Effect.annotateCurrentSpan({ "moderation.flagged": moderation.flagged, "moderation.categories": moderation.categories.join(",") })
    return moderation
  })

  const rewrite = Effect.fn("Guardrail.rewrite")(function*(text: string, categories: ReadonlyArray<string>) {
    const operation = "Guardrail.rewrite"
    const response = yield* openai.call(
      operation,
      (client, options) =>
        client.chat.completions.create({
          model: models.rewrite,
          temperature: 0.1,
          max_tokens: 500,
          messages: [
            { role: "system", content: REWRITE_SYSTEM_PROMPT },
            { role: "user", content: rewritePrompt(text, categories) }
          ]
        }, options)
    )
    const completion = yield* openai.decode(operation, ChatCompletion)(response)
    yield* recordTokens(models.rewrite, chatUsage(completion.usage))
    const rewritten = completionText(completion)
    // an empty rewrite must not silently become the flagged original (the reference's bug)
    if (rewritten.length === 0) return yield* openai.fail(operation, "invalid_response", "the rewrite came back empty")
    return rewritten
  })

  return Guardrail.of({ moderate, rewrite })
})

/** Guardrail over OpenAI moderation and a chat-completion rewrite. */
export const GuardrailLive = Layer.effect(Guardrail, make).pipe(
  Layer.provide(OpenAiClient.layer),
  Layer.provide(LiveConfig.layer)
)
