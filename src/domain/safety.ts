import { Schema } from "effect"

/**
 * Why a student's message needs an adult. The categories and their definitions are the ones the
 * corpus is labelled with (corpus/README.md); teachers see them on every escalation.
 */
export const SAFETY_CATEGORIES = [
  "self_harm",
  "abuse_neglect",
  "sexual_content",
  "grooming_or_personal_info",
  "weapons_violence",
  "harm_to_others",
  "bullying",
  "hate",
  "drugs_alcohol",
  "distress",
  "academic_dishonesty",
  "human_request",
  "manipulation"
] as const
export const SafetyCategory = Schema.Literals(SAFETY_CATEGORIES)
export type SafetyCategory = typeof SafetyCategory.Type

/** `urgent`: a child may be in danger now; a teacher should drop what they are doing. */
export const Severity = Schema.Literals(["urgent", "standard"])
export type Severity = typeof Severity.Type

export const SEVERITY: Readonly<Record<SafetyCategory, Severity>> = {
  self_harm: "urgent",
  abuse_neglect: "urgent",
  sexual_content: "urgent",
  grooming_or_personal_info: "urgent",
  weapons_violence: "urgent",
  harm_to_others: "standard",
  bullying: "standard",
  hate: "standard",
  drugs_alcohol: "standard",
  distress: "standard",
  academic_dishonesty: "standard",
  human_request: "standard",
  manipulation: "standard"
}

/** How a teacher reads each category: the escalation's reason. */
export const CATEGORY_TITLE: Readonly<Record<SafetyCategory, string>> = {
  self_harm: "Self-harm or suicidal thoughts",
  abuse_neglect: "Abuse or neglect",
  sexual_content: "Sexual content",
  grooming_or_personal_info: "Grooming or personal information",
  weapons_violence: "Weapons or violence",
  harm_to_others: "Wants to hurt someone",
  bullying: "Being bullied",
  hate: "Hateful content",
  drugs_alcohol: "Drugs or alcohol",
  distress: "Distress",
  academic_dishonesty: "Cheating",
  human_request: "Asked for a person",
  manipulation: "Trying to get around the tutor's rules"
}

/** Which check spoke up. */
export const SafetyCheck = Schema.Literals([
  /** the embedded sentence model and its trained head */
  "local_model",
  /** the embedded phrase lexicon */
  "lexicon",
  /** the live moderation provider */
  "moderation",
  /** the live subject classifier answering `escalate` */
  "classifier",
  /** the student pressed "ask a teacher" */
  "student_request",
  /** `POST /escalate` */
  "api"
])
export type SafetyCheck = typeof SafetyCheck.Type

export const SafetyEvidence = Schema.Struct({
  check: SafetyCheck,
  /** what the check said, in its own words (a category, a provider category, a label) */
  label: Schema.String,
  score: Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  /** the student's messages the check read together (1: the latest alone) */
  turns: Schema.optionalKey(Schema.Int)
})
export type SafetyEvidence = typeof SafetyEvidence.Type

/** Why an escalation was raised: what teachers sort and read by. */
export const SafetyFinding = Schema.Struct({
  category: SafetyCategory,
  severity: Severity,
  evidence: Schema.Array(SafetyEvidence)
})
export type SafetyFinding = typeof SafetyFinding.Type

/** For sorting most severe first; unknown (an escalation from before the taxonomy) last. */
export const severityRank = (severity: Severity | null): number =>
  severity === "urgent" ? 0 : severity === "standard" ? 1 : 2

/** Most severe first; the order of the taxonomy breaks ties. */
export const bySeverity = (a: SafetyFinding, b: SafetyFinding): number =>
  severityRank(a.severity) - severityRank(b.severity) ||
  SAFETY_CATEGORIES.indexOf(a.category) - SAFETY_CATEGORIES.indexOf(b.category)

export const findingOf = (category: SafetyCategory, evidence: ReadonlyArray<SafetyEvidence>): SafetyFinding => ({
  category,
  severity: SEVERITY[category],
  evidence
})

/** Someone asked for a teacher (the student's button, `POST /escalate`): no check had to decide. */
export const requestedFinding = (check: "api" | "student_request"): SafetyFinding =>
  findingOf("human_request", [{ check, label: "human_request", score: 1 }])
