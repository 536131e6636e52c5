import { Context, type Effect, Schema } from "effect"
import { SafetyCategory, SafetyEvidence } from "../domain/safety.ts"
import type { ProviderError } from "./ProviderError.ts"

/**
 * - `concern`: a teacher must be brought in, for `category`;
 * - `unsure`: not clearly a concern, yet not clearly harmless: a personal message gets a kind
 *   check-in and a teacher is told (schoolwork goes on);
 * - `clear`: nothing of concern.
 */
export const SafetyVerdict = Schema.Literals(["concern", "unsure", "clear"])
export type SafetyVerdict = typeof SafetyVerdict.Type

export const SafetyAssessment = Schema.Struct({
  verdict: SafetyVerdict,
  /** the most likely category of concern (also when `clear`, for audit) */
  category: SafetyCategory,
  /** how likely any concern is, in [0, 1] */
  score: Schema.Number,
  /** the message reads as schoolwork rather than as something personal */
  schoolwork: Schema.Boolean,
  /** the checks that spoke up, with their scores */
  evidence: Schema.Array(SafetyEvidence)
})
export type SafetyAssessment = typeof SafetyAssessment.Type

/**
 * The local safety check every student message passes before anything else reads it (SPEC §12).
 * `previous` are the student's earlier messages of the session still open to a concern (oldest
 * first), so a disclosure split over two messages is read as one.
 */
export class Safety extends Context.Service<Safety, {
  readonly assess: (text: string, previous: ReadonlyArray<string>) => Effect.Effect<SafetyAssessment, ProviderError>
}>()("tutor/Safety") {}
