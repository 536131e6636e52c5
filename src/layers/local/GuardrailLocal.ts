import { Effect, Layer } from "effect"
import { Guardrail } from "../../services/Guardrail.ts"
import { ProviderError } from "../../services/ProviderError.ts"
import { moderateWithLexicon } from "./moderation/Moderation.ts"
import { readModel, SafetyModel } from "./safety/SafetyLocal.ts"

/**
 * Without a model there is no faithful rewrite of a flagged sentence, so the local rewrite says
 * so plainly: one fixed, safe sentence per category, picked in order of seriousness. Category
 * names are matched by prefix so live names like "self_harm_intent" or "harassment/threatening"
 * find the same sentence.
 */
const SAFE_SENTENCES: ReadonlyArray<readonly [prefix: string, sentence: string]> = [
  ["self_harm", "If you are going through something hard, please talk to a trusted adult or your teacher right away, because you deserve support."],
  ["sexual", "That is not something I can talk about here, so let's get back to your schoolwork."],
  ["violence", "I can't go into that, so let's keep things safe and get back to the lesson."],
  ["hate", "Everyone deserves to be treated with respect, so let's keep our words kind."],
  ["harassment", "Everyone deserves to be treated with respect, so let's keep our words kind."],
  ["illicit", "I can't help with that, but I'm happy to help you learn the material the honest way."]
]

const rewrite = Effect.fn("Guardrail.rewrite")(function*(_text: string, categories: ReadonlyArray<string>) {
  const normalized = categories.map((category) => category.toLowerCase().replace(/[-/ ]/g, "_"))
  const safe = SAFE_SENTENCES.find(([prefix]) => normalized.some((category) => category.startsWith(prefix)))
  if (safe === undefined) {
    return yield* new ProviderError({
      provider: "local",
      operation: "Guardrail.rewrite",
      reason: "unavailable",
      detail: `no local safe sentence for categories [${categories.join(", ")}]`
    })
  }
  yield* Effect.annotateCurrentSpan("guardrail.rewrite.category", safe[0])
  return safe[1]
})

/**
 * Guardrail without keys: lexicon moderation and fixed safe rewrites. A weak word the lexicon
 * cannot judge ("kill") is judged by the sentence model: schoolwork passes, a concern is flagged
 * with its category, and what neither can decide stays inconclusive (the tutor fails closed).
 */
export const GuardrailLocal: Layer.Layer<Guardrail, never, SafetyModel> = Layer.effect(
  Guardrail,
  Effect.gen(function*() {
    const model = yield* SafetyModel
    const moderate = (text: string) =>
      moderateWithLexicon(text).pipe(
        Effect.catchTag("ProviderError", (unsure) =>
          unsure.reason !== "inconclusive"
            ? Effect.fail(unsure)
            : Effect.flatMap(model.read([text]), ([probabilities]) => {
              const reading = probabilities === undefined ? undefined : readModel(probabilities)
              return reading === undefined || reading._tag === "Undecided" ? Effect.fail(unsure) : Effect.succeed(reading.result)
            }))
      )
    return Guardrail.of({ moderate, rewrite })
  })
)
