import { Clock, Effect, Stream } from "effect"
import { Guardrail, REWRITE_FAILED_SENTENCE, WITHHELD_SENTENCE } from "../services/Guardrail.ts"
import type { GuardrailAction } from "./events.ts"

/** How many sentences moderation may run ahead of the one being spoken. */
export const GUARDRAIL_LOOKAHEAD = 4

export interface GuardedSentence {
  readonly index: number
  readonly original: string
  /** what may be shown and spoken */
  readonly text: string
  readonly action: GuardrailAction
  readonly categories: ReadonlyArray<string>
  readonly scores: Readonly<Record<string, number>>
  readonly detail?: string
  readonly latencyMs: number
}

/**
 * Checks one sentence before anyone hears it. Flagged text is rewritten (or replaced by the
 * reference's apology when the rewrite fails); text that cannot be checked at all is withheld:
 * the guardrail fails closed.
 */
export const guardSentence = Effect.fn("guardrail.sentence")(function*(original: string, index: number) {
  const guardrail = yield* Guardrail
  const started = yield* Clock.currentTimeMillis
  const finish = (verdict: Omit<GuardedSentence, "index" | "original" | "latencyMs">) =>
    Effect.gen(function*() {
      const latencyMs = (yield* Clock.currentTimeMillis) - started
      yield* Effect.annotateCurrentSpan({
        "guardrail.index": index,
        "guardrail.action": verdict.action,
        "guardrail.flagged": verdict.action !== "passed",
        "guardrail.categories": verdict.categories.join(","),
        "guardrail.latency_ms": latencyMs
      })
      const guarded: GuardedSentence = { index, original, latencyMs, ...verdict }
      return guarded
    })

  const moderation = yield* guardrail.moderate(original).pipe(Effect.result)
  if (moderation._tag === "Failure") {
    yield* Effect.logWarning("guardrail: sentence withheld, moderation unavailable", moderation.failure.message)
    return yield* finish({
      text: WITHHELD_SENTENCE,
      action: "withheld",
      categories: [],
      scores: {},
      detail: moderation.failure.message
    })
  }
  const { categories, flagged, scores } = moderation.success
  if (!flagged) return yield* finish({ text: original, action: "passed", categories, scores })

  const rewrite = yield* guardrail.rewrite(original, categories).pipe(Effect.result)
  if (rewrite._tag === "Failure" || rewrite.success.trim().length === 0) {
    return yield* finish({
      text: REWRITE_FAILED_SENTENCE,
      action: "apology",
      categories,
      scores,
      detail: rewrite._tag === "Failure" ? rewrite.failure.message : "empty rewrite"
    })
  }
  return yield* finish({ text: rewrite.success.trim(), action: "rewritten", categories, scores })
})

/**
 * Guards a stream of sentences with moderation running ahead of the consumer (bounded), while the
 * output keeps the input order.
 */
export const guardSentences = <E, R>(
  sentences: Stream.Stream<string, E, R>
): Stream.Stream<GuardedSentence, E, R | Guardrail> =>
  sentences.pipe(Stream.mapEffect((sentence, index) => guardSentence(sentence, index), { concurrency: GUARDRAIL_LOOKAHEAD }))
