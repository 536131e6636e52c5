import { Effect, Schema } from "effect"
import type { ModerationResult } from "../../../services/Guardrail.ts"
import { ProviderError } from "../../../services/ProviderError.ts"
import { normalizeText, wholeWords } from "../text.ts"
import lexiconJson from "./lexicon.json" with { type: "json" }

/**
 * Offline moderation from a word and phrase lexicon. It serves the tutor without keys and is
 * the fail-closed fallback when live moderation is down, so it must not guess: a weak,
 * context-dependent hit that no rule can clear or confirm makes it answer "inconclusive".
 */

export const MODERATION_CATEGORIES = ["harassment", "hate", "self_harm", "sexual", "violence", "illicit"] as const
const Category = Schema.Literals(MODERATION_CATEGORIES)
type Category = typeof Category.Type
export type ModerationCategory = Category

const Score = Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))

const LexiconRule = Schema.Struct({
  id: Schema.String,
  category: Category,
  /** strong: flagged unless negated; weak: needs context, cleared by a benign context */
  strength: Schema.Literals(["strong", "weak"]),
  score: Score,
  /** false for phrases that carry their own negation ("don't want to be alive") */
  negatable: Schema.Boolean,
  /** a regular expression source, matched on whole words of the lower-cased text */
  pattern: Schema.String
})

const BenignContext = Schema.Struct({
  id: Schema.String,
  categories: Schema.NonEmptyArray(Category),
  pattern: Schema.String
})

export const Lexicon = Schema.Struct({
  negators: Schema.Array(Schema.String),
  negationWindow: Schema.Int,
  rules: Schema.NonEmptyArray(LexiconRule),
  benign: Schema.Array(BenignContext)
})
export type Lexicon = typeof Lexicon.Type

/** how much of a hit's score survives when negation or context takes it back */
const NEGATED_FACTOR = 0.3
const CLEARED_FACTOR = 0.1

const LEXICON_SOURCE = "local:lexicon"

export type LexiconVerdict =
  | { readonly _tag: "Decided"; readonly result: ModerationResult }
  | { readonly _tag: "Inconclusive"; readonly category: Category; readonly term: string }

const compile = (lexicon: Lexicon) => {
  const rules = lexicon.rules.map((rule) => ({ ...rule, regex: wholeWords(rule.pattern, "g") }))
  const benign = lexicon.benign.map((context) => ({ ...context, regex: wholeWords(context.pattern) }))
  const negators = new Set(lexicon.negators)

  const negated = (text: string, index: number): boolean =>
    (text.slice(0, index).match(/[a-z0-9']+/g) ?? []).slice(-lexicon.negationWindow).some((word) => negators.has(word))

  return (input: string): LexiconVerdict => {
    const text = normalizeText(input)
    const clearedCategories = new Set(
      benign.filter((context) => context.regex.test(text)).flatMap((context) => context.categories)
    )
    const scores: Record<string, number> = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, 0]))
    const flagged = new Set<Category>()
    let unsure: { readonly category: Category; readonly term: string } | undefined
    for (const rule of rules) {
      for (const match of text.matchAll(rule.regex)) {
        const isNegated = rule.negatable && negated(text, match.index)
        const isCleared = rule.strength === "weak" && clearedCategories.has(rule.category)
        const score = rule.score * (isCleared ? CLEARED_FACTOR : isNegated ? NEGATED_FACTOR : 1)
        scores[rule.category] = Math.max(scores[rule.category] ?? 0, score)
        if (isNegated || isCleared) continue
        if (rule.strength === "strong") flagged.add(rule.category)
        else unsure ??= { category: rule.category, term: match[0] }
      }
    }
    if (flagged.size === 0 && unsure !== undefined) return { _tag: "Inconclusive", ...unsure }
    return {
      _tag: "Decided",
      result: {
        flagged: flagged.size > 0,
        categories: MODERATION_CATEGORIES.filter((category) => flagged.has(category)),
        scores,
        source: LEXICON_SOURCE
      }
    }
  }
}

// Shipped with the code: a lexicon that does not decode is a build error, reported when the
// module loads (and by its test), not a condition to recover from at runtime.
export const lexicon: Lexicon = Schema.decodeUnknownSync(Lexicon)(lexiconJson)

/** the pure decision, for callers that want the inconclusive case as a value */
export const assessWithLexicon: (text: string) => LexiconVerdict = compile(lexicon)

/**
 * Local moderation as the Guardrail operation. Exported on its own so a live Guardrail can fall
 * back to it when the provider fails; "inconclusive" is a `ProviderError`, so the caller
 * withholds the sentence instead of speaking it unchecked.
 */
export const moderateWithLexicon = Effect.fn("Guardrail.moderate")(function*(text: string) {
  yield* Effect.annotateCurrentSpan("moderation.source", LEXICON_SOURCE)
  const verdict = assessWithLexicon(text)
  if (verdict._tag === "Inconclusive") {
    return yield* new ProviderError({
      provider: "local",
      operation: "Guardrail.moderate",
      reason: "inconclusive",
      detail: `"${verdict.term}" may be ${verdict.category} depending on context the lexicon cannot judge`
    })
  }
  yield* Effect.annotateCurrentSpan("moderation.flagged", verdict.result.categories.join(","))
  return verdict.result
})
