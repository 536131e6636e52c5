import { Context, type Effect, Schema } from "effect"
import type { ProviderError } from "./ProviderError.ts"

/** Moderation categories the tutor reports, in the provider's snake_case naming. */
export const ModerationResult = Schema.Struct({
  flagged: Schema.Boolean,
  /** names of the categories that were flagged */
  categories: Schema.Array(Schema.String),
  /** category name → score in [0, 1] */
  scores: Schema.Record(Schema.String, Schema.Number),
  /** who decided, e.g. "openai:omni-moderation-latest" or "local:lexicon" */
  source: Schema.String
})
export type ModerationResult = typeof ModerationResult.Type

/** Spoken when a flagged sentence cannot be rewritten (reference literal). */
export const REWRITE_FAILED_SENTENCE =
  "I apologize, but I cannot answer that question in the way you've asked. Please try rephrasing."

/** Spoken in place of a sentence that could not be checked: the guardrail fails closed. */
export const WITHHELD_SENTENCE = "Sorry, I can't share that part of the answer right now."

/**
 * Content safety: moderation of one text and a safe rewrite of flagged text.
 * Policy (fail closed, fallbacks, ordering) lives in the tutor programs, not here.
 */
export class Guardrail extends Context.Service<Guardrail, {
  readonly moderate: (text: string) => Effect.Effect<ModerationResult, ProviderError>
  readonly rewrite: (text: string, categories: ReadonlyArray<string>) => Effect.Effect<string, ProviderError>
}>()("tutor/Guardrail") {}
