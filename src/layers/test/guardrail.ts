import { Duration, Effect, Layer } from "effect"
import { Guardrail } from "../../services/Guardrail.ts"
import { ProviderError } from "../../services/ProviderError.ts"

export interface GuardrailScript {
  /** categories to flag for this text; none → passes */
  readonly flag?: (text: string) => ReadonlyArray<string> | undefined
  /** moderation of this text fails (provider down) */
  readonly failModeration?: (text: string) => boolean
  /** moderation of this text cannot decide (the local lexicon's weak, context-dependent hit) */
  readonly inconclusive?: (text: string) => boolean
  readonly moderationDelay?: Duration.Input
  /** the rewrite of a flagged text; a `ProviderError` makes the rewrite fail */
  readonly rewrite?: (text: string, categories: ReadonlyArray<string>) => string | ProviderError
  /** sees every moderation start and end, for ordering and interruption checks */
  readonly onEvent?: (event: string) => void
}

/** Moderation that flags chosen sentences, fails on chosen ones and takes a chosen time. */
export const testGuardrail = (script: GuardrailScript = {}): Layer.Layer<Guardrail> =>
  Layer.succeed(
    Guardrail,
    Guardrail.of({
      moderate: Effect.fn("Guardrail.moderate")(function*(text) {
        script.onEvent?.(`moderate:start:${text}`)
        if (script.moderationDelay !== undefined) {
          yield* Effect.sleep(script.moderationDelay).pipe(
            Effect.onInterrupt(() => Effect.sync(() => script.onEvent?.(`moderate:interrupted:${text}`)))
          )
        }
        script.onEvent?.(`moderate:end:${text}`)
        const failure = script.failModeration?.(text) === true
          ? { reason: "unavailable" as const, detail: "scripted moderation outage" }
          : script.inconclusive?.(text) === true
          ? { reason: "inconclusive" as const, detail: "scripted inconclusive verdict" }
          : undefined
        if (failure !== undefined) {
          return yield* new ProviderError({ provider: "test", operation: "Guardrail.moderate", ...failure })
        }
        const categories = script.flag?.(text) ?? []
        return {
          flagged: categories.length > 0,
          categories,
          scores: Object.fromEntries(categories.map((category) => [category, 0.9])),
          source: "test"
        }
      }),
      rewrite: Effect.fn("Guardrail.rewrite")(function*(text, categories) {
        const rewritten = script.rewrite?.(text, categories) ?? "Let's keep our discussion safe and respectful."
        if (rewritten instanceof ProviderError) return yield* rewritten
        return rewritten
      })
    })
  )
