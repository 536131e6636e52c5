import { Effect } from "effect"
import {
  CATEGORY_TITLE,
  SAFETY_CATEGORIES,
  type SafetyCategory,
  type SafetyEvidence,
  type SafetyFinding,
  SEVERITY
} from "../domain/safety.ts"
import { Guardrail, type ModerationResult } from "../services/Guardrail.ts"
import { Safety, type SafetyAssessment } from "../services/Safety.ts"
import type { ConversationTurn } from "../services/Specialists.ts"

/**
 * The tutor's safety policy (SPEC §12): what it does with what the checks say. The local check
 * reads every message first; live moderation and the live classifier can only add concerns.
 */

/** Earlier student messages the safety check reads with the latest one. */
export const SAFETY_WINDOW = 2

/**
 * The student's last messages that are still open to a concern, oldest first: a message the
 * tutor already escalated has had its teacher, and must not make every later message escalate.
 */
export const openStudentMessages = (history: ReadonlyArray<ConversationTurn>): ReadonlyArray<string> => {
  const open: Array<string> = []
  history.forEach((turn, index) => {
    if (turn.role !== "student") return
    const answer = history.slice(index + 1).find((later) => later.role === "tutor")
    if (answer?.subject !== "escalate") open.push(turn.text)
  })
  return open.slice(-SAFETY_WINDOW)
}

/**
 * What the tutor says first when it escalates, before the reference's "I'm connecting you…":
 * supportive for disclosures and distress, a calm refusal where the child asked for something
 * the tutor will not do.
 */
export const SAFETY_REPLY: Readonly<Record<SafetyCategory, string>> = {
  self_harm: "Thank you for telling me. You matter, and you don't have to go through this alone.",
  abuse_neglect: "Thank you for telling me. You deserve to be safe, and none of this is your fault.",
  sexual_content: "That's not something I can talk about.",
  grooming_or_personal_info:
    "Thank you for telling me. Please keep your address, phone number, photos and passwords private, and never meet someone from online without a trusted adult.",
  weapons_violence: "I can't help with anything that could hurt someone, and I want everyone to be safe.",
  harm_to_others: "It sounds like you're really upset. Hurting someone won't make it better, but talking to someone can.",
  bullying: "Thank you for telling me. Nobody deserves to be treated like that, and it's not your fault.",
  hate: "I can't help with that, because everyone deserves respect.",
  drugs_alcohol: "I can't help with that, but it's a really good thing to talk about with a trusted adult.",
  distress: "Thank you for telling me how you feel. It's okay to not be okay.",
  academic_dishonesty: "I can't do that for you, but I'd love to help you learn it so you can do it yourself.",
  human_request: "Of course.",
  manipulation: "I can't do that. I'm here to help with math, history and English."
}

/** Said when the tutor is unsure whether a personal message is a worry: a kind check-in. */
export const CHECK_IN_REPLY = "Are you okay? If something is worrying you, a teacher can help."

/** Said to a friendly message that is not about schoolwork, instead of "which subject?". */
export const SMALL_TALK_REPLY = "I'm here to help with math, history and English. What would you like to work on?"

/** An escalation the policy decided on: why, how urgent, and what the tutor says. */
export interface SafetyEscalation {
  readonly finding: SafetyFinding
  readonly reason: string
  /** spoken before the escalation sentence */
  readonly reply: ReadonlyArray<string>
}

const escalation = (
  finding: SafetyFinding,
  reply: ReadonlyArray<string>,
  reason = `${CATEGORY_TITLE[finding.category]}${finding.severity === "urgent" ? " (urgent)" : ""}`
): SafetyEscalation => ({ finding, reason, reply })

export const concernOf = (category: SafetyCategory, evidence: ReadonlyArray<SafetyEvidence>): SafetyEscalation =>
  escalation({ category, severity: SEVERITY[category], evidence }, [SAFETY_REPLY[category]])

/** Unsure: a teacher looks in at standard severity, whatever the likeliest category. */
export const checkInOf = (category: SafetyCategory, evidence: ReadonlyArray<SafetyEvidence>): SafetyEscalation =>
  escalation({ category, severity: "standard", evidence }, [CHECK_IN_REPLY])

/**
 * The classifier sent the message to a teacher. Its category (or the local model's, when that
 * leans to a concern) decides the reply; with neither, nobody knows why, so the tutor says only
 * that a teacher is coming, at standard severity.
 */
export const classifierEscalationOf = (
  local: SafetyAssessment,
  category: SafetyCategory | undefined,
  evidence: ReadonlyArray<SafetyEvidence>
): SafetyEscalation =>
  category !== undefined || local.verdict !== "clear"
    ? concernOf(categoryFor(local, category === undefined ? [] : [category]), evidence)
    : escalation({ category: local.category, severity: "standard", evidence }, [], "The classifier sent the question to a teacher")

/**
 * What the local check alone decides: a concern escalates with its category's reply; a personal
 * message it is unsure of gets the check-in. Anything else goes on to the providers.
 */
export const localEscalation = (local: SafetyAssessment): SafetyEscalation | undefined =>
  local.verdict === "concern"
    ? concernOf(local.category, local.evidence)
    : local.verdict === "unsure" && !local.schoolwork
    ? checkInOf(local.category, local.evidence)
    : undefined

/** When the local model itself cannot run, every message is "unsure": a teacher is told. */
const UNAVAILABLE: SafetyAssessment = {
  verdict: "unsure",
  category: "distress",
  score: 0,
  schoolwork: false,
  evidence: []
}

/** The local check of the latest message with the open earlier ones; it never lets a failure pass. */
export const assessLocally = Effect.fn("safety.local")(function*(text: string, history: ReadonlyArray<ConversationTurn>) {
  const safety = yield* Safety
  return yield* safety.assess(text, openStudentMessages(history)).pipe(
    Effect.catchTag("ProviderError", (error) =>
      Effect.as(Effect.logError("local safety check unavailable; treating the message as unsure", error.message), UNAVAILABLE))
  )
})

/** Moderation category names (OpenAI's, snake_cased, and the local lexicon's) in the taxonomy's terms. */
const MODERATION_PREFIXES: ReadonlyArray<readonly [prefix: string, category: SafetyCategory]> = [
  ["self_harm", "self_harm"],
  ["sexual_minors", "sexual_content"],
  ["sexual", "sexual_content"],
  ["hate", "hate"],
  ["harassment", "harm_to_others"],
  ["illicit_violent", "weapons_violence"],
  ["illicit", "drugs_alcohol"],
  ["violence", "weapons_violence"]
]

export const categoryOfModeration = (name: string): SafetyCategory | undefined =>
  MODERATION_PREFIXES.find(([prefix]) => name.startsWith(prefix))?.[1]

const isCategory = (label: string): label is SafetyCategory => SAFETY_CATEGORIES.some((category) => category === label)

/**
 * The local model names the category when it leans that way at all; otherwise the most severe
 * category the other check named.
 */
export const categoryFor = (local: SafetyAssessment, named: ReadonlyArray<string>): SafetyCategory => {
  if (local.verdict !== "clear") return local.category
  const mapped = named.flatMap((name) => {
    const category = isCategory(name) ? name : categoryOfModeration(name)
    return category === undefined ? [] : [category]
  })
  return mapped.toSorted((a, b) => (SEVERITY[a] === SEVERITY[b] ? 0 : SEVERITY[a] === "urgent" ? -1 : 1))[0] ?? local.category
}

export type InputModeration =
  | { readonly _tag: "Flagged"; readonly result: ModerationResult }
  | { readonly _tag: "Inconclusive"; readonly detail: string }
  | { readonly _tag: "Clear" }

/**
 * Moderates the student's own words. Local moderation that cannot decide escalates (it is not a
 * pass); a live provider that is down leaves the decision to the local model, which has already
 * read the message.
 */
export const moderateInput = Effect.fn("guardrail.input")(function*(text: string) {
  const guardrail = yield* Guardrail
  return yield* guardrail.moderate(text).pipe(
    Effect.map((result): InputModeration => result.flagged ? { _tag: "Flagged", result } : { _tag: "Clear" }),
    Effect.catchTag("ProviderError", (error): Effect.Effect<InputModeration> =>
      error.reason === "inconclusive"
        ? Effect.succeed({ _tag: "Inconclusive", detail: error.detail })
        : Effect.as(
          Effect.logWarning("input moderation unavailable; the local safety check decides", error.message),
          { _tag: "Clear" }
        ))
  )
})

/** The model's own evidence plus what another check said. */
export const withEvidence = (local: SafetyAssessment, more: ReadonlyArray<SafetyEvidence>): ReadonlyArray<SafetyEvidence> => [
  ...local.evidence,
  ...more
]

/** The flagged categories' scores only: what the moderation flagged for, not every score it returned. */
export const moderationEvidence = (result: ModerationResult): ReadonlyArray<SafetyEvidence> =>
  result.categories.map((category) => ({
    check: result.source.startsWith("local") ? "lexicon" : "moderation",
    label: category,
    score: Math.min(1, Math.max(0, result.scores[category] ?? 1))
  }))
