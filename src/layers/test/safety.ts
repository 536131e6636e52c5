import { Effect, Layer } from "effect"
import type { SafetyCategory } from "../../domain/safety.ts"
import { Safety, type SafetyAssessment } from "../../services/Safety.ts"

export interface SafetyScript {
  /** a concern for this text (with its earlier messages); none → clear schoolwork */
  readonly concern?: (text: string, previous: ReadonlyArray<string>) => SafetyCategory | undefined
  /** the check is unsure of this personal message (not schoolwork, not clearly a concern) */
  readonly unsure?: (text: string) => boolean
  /** sees every message the check is asked about, with its earlier messages */
  readonly onAssess?: (text: string, previous: ReadonlyArray<string>) => void
}

/**
 * A scripted safety check for tests of everything but the safety model itself (those use the
 * real `SafetyLocal`): clear schoolwork unless the script names a concern.
 */
export const testSafety = (script: SafetyScript = {}): Layer.Layer<Safety> =>
  Layer.succeed(
    Safety,
    Safety.of({
      assess: Effect.fn("Safety.assess")(function*(text, previous) {
        script.onAssess?.(text, previous)
        const category = script.concern?.(text, previous)
        const assessment: SafetyAssessment = category === undefined
          ? script.unsure?.(text) === true
            ? {
              verdict: "unsure",
              category: "distress",
              score: 0.3,
              schoolwork: false,
              evidence: [{ check: "local_model", label: "distress", score: 0.3, turns: 1 }]
            }
            : { verdict: "clear", category: "distress", score: 0, schoolwork: true, evidence: [] }
          : {
            verdict: "concern",
            category,
            score: 1,
            schoolwork: false,
            evidence: [{ check: "local_model", label: category, score: 1, turns: previous.length + 1 }]
          }
        return assessment
      })
    })
  )
