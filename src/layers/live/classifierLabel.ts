import { Option } from "effect"
import { SAFETY_CATEGORIES, type SafetyCategory } from "../../domain/safety.ts"
import type { Subject } from "../../services/Specialists.ts"

export interface SubjectLabel {
  readonly subject: Subject
  readonly confidence: number
  /** the safety category named with `escalate` */
  readonly category?: SafetyCategory
}

/** `self_harm`, `self-harm` or `self harm` all name the category. */
const categoryIn = (text: string): SafetyCategory | undefined => {
  const flat = text.replace(/[\s-]+/g, "_")
  return SAFETY_CATEGORIES.find((category) => new RegExp(`(?<![a-z])${category}(?![a-z])`).test(flat))
}

/** The answer was the label alone (punctuation and markdown aside). */
export const EXACT_LABEL_CONFIDENCE = 1
/** The label came wrapped in other words, e.g. "I think math". */
export const LABEL_IN_WORDS_CONFIDENCE = 0.8
/**
 * The answer named two different subjects. Below any sensible routing threshold, so the tutor
 * asks the student which one they mean instead of guessing.
 */
export const AMBIGUOUS_CONFIDENCE = 0.3

const SUBJECT_WORDS: ReadonlyMap<string, Subject> = new Map([
  ["math", "math"],
  ["maths", "math"],
  ["mathematics", "math"],
  ["history", "history"],
  ["english", "english"],
  ["escalate", "escalate"]
])

/** The first number in [0, 1] (or a percentage up to 100 %), if the answer states one. */
const statedConfidence = (text: string): number | undefined => {
  for (const match of text.matchAll(/(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*(%?)/g)) {
    const value = Number(match[1])
    const confidence = match[2] === "%" ? value / 100 : value
    if (confidence >= 0 && confidence <= 1) return confidence
  }
  return undefined
}

/**
 * Reads the classifier's answer, e.g. `math 0.92`, `Math.`, `**history**`, `I think math`.
 * A label counts only as a whole word ("aftermath" is not math). A stated number in [0, 1] is the
 * confidence; otherwise the confidence reflects how plainly the label was given. None when the
 * answer names no subject at all.
 */
export const parseSubjectLabel = (raw: string): Option.Option<SubjectLabel> => {
  const text = raw.toLowerCase()
  const words = text.match(/[a-z]+/g) ?? []
  const subjects = [...new Set(words.flatMap((word) => {
    const subject = SUBJECT_WORDS.get(word)
    return subject === undefined ? [] : [subject]
  }))]
  const [subject] = subjects
  if (subject === undefined) return Option.none()
  const stated = statedConfidence(text)
  if (subjects.length > 1) {
    return Option.some({ subject, confidence: Math.min(stated ?? AMBIGUOUS_CONFIDENCE, AMBIGUOUS_CONFIDENCE) })
  }
  const category = subject === "escalate" ? categoryIn(text) : undefined
  // "escalate self_harm" is still the label alone: the category is part of the asked-for answer
  const plain = words.length - (category === undefined ? 0 : category.split("_").length) === 1
    ? EXACT_LABEL_CONFIDENCE
    : LABEL_IN_WORDS_CONFIDENCE
  return Option.some({ subject, confidence: stated ?? plain, ...(category === undefined ? {} : { category }) })
}
