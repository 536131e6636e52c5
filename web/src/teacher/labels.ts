import type { EscalationState } from "../api/teacher.ts"

/**
 * The safety taxonomy (src/domain/safety.ts, corpus/README.md) in the words a teacher reads at a
 * glance. A category this map does not know yet still shows, by its raw name.
 */
const CATEGORY_LABELS: Readonly<Record<string, string>> = {
  self_harm: "self-harm",
  abuse_neglect: "abuse or neglect",
  sexual_content: "sexual content",
  grooming_or_personal_info: "grooming or personal information",
  weapons_violence: "weapons or violence",
  harm_to_others: "wanting to hurt someone",
  bullying: "bullying",
  hate: "hateful language",
  drugs_alcohol: "drugs or alcohol",
  distress: "distress",
  academic_dishonesty: "cheating",
  human_request: "asked for a teacher",
  manipulation: "trying to get around the rules"
}

/** `null`: an escalation from before the taxonomy, which says nothing about why. */
export const categoryLabel = (category: string | null): string =>
  category === null ? "no category" : CATEGORY_LABELS[category] ?? category.replaceAll("_", " ")

const TRIGGER_LABELS: Readonly<Record<string, string>> = {
  classifier: "flagged by the safety check",
  flagged_input: "flagged by the input filter",
  student_request: "the student asked",
  api: "raised from the student's page"
}

export const triggerLabel = (trigger: string): string => TRIGGER_LABELS[trigger] ?? trigger.replaceAll("_", " ")

export const stateLabel = (state: EscalationState, claimedBy: string | null, mine: boolean): string => {
  switch (state) {
    case "open":
      return "Nobody has it yet"
    case "claimed":
      return mine ? "You are on it" : `Claimed by ${claimedBy ?? "another teacher"}`
    case "resolved":
      return "Resolved"
  }
}

/** "under a minute", "3 min", "1 h 5 min": minutes are what a waiting child's teacher acts on. */
export const formatDuration = (seconds: number): string => {
  const minutes = Math.floor(Math.max(0, seconds) / 60)
  if (minutes < 1) return "under a minute"
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  const rest = minutes % 60
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`
}
