import { Schema } from "effect"
import { type AnswerSubject, type Classification, type ConversationTurn, Subject } from "../../../services/Specialists.ts"
import { checkGrammar } from "../english/grammar.ts"
import { numberWordsToDigits } from "../math/numberWords.ts"
import { assessWithLexicon } from "../moderation/Moderation.ts"
import { isFollowUp, normalizeText, wholeWords } from "../text.ts"
import cuesJson from "./cues.json" with { type: "json" }

/**
 * Offline intent classifier: weighted lexical cues per subject, plus three signals computed
 * by the other local modules (numbers, a grammar slip, unsafe content), plus a prior from the
 * session's recent turns. Scores become a calibrated confidence with a softmax that includes
 * a "none of these" option, so a question with little evidence gets a low confidence and the
 * tutor asks the student which subject they mean.
 */

const Cue = Schema.Struct({
  id: Schema.String,
  subject: Subject,
  weight: Schema.Number,
  /** a regular expression source, matched on whole words of the lower-cased text */
  pattern: Schema.String
})

const CueFile = Schema.Struct({
  /** the score of "none of the subjects": higher means more evidence is needed for confidence */
  baseline: Schema.Number,
  cues: Schema.NonEmptyArray(Cue)
})

// Shipped with the code: a cue file that does not decode is a build error (see KnowledgeBase).
const cueFile = Schema.decodeUnknownSync(CueFile)(cuesJson)
const cues = cueFile.cues.map((cue) => ({
  ...cue,
  regex: wholeWords(cue.pattern, "g")
}))

const SUBJECTS: ReadonlyArray<Subject> = ["math", "history", "english", "escalate"]
const TIE_ORDER: ReadonlyArray<Subject> = ["escalate", "math", "history", "english"]
type Scores = Record<Subject, number>
const zero = (): Scores => ({ math: 0, history: 0, english: 0, escalate: 0 })

/** a second, different match of the same cue adds half its weight; more add nothing */
const REPEAT_FACTOR = 0.5
const NUMBER_WEIGHT = 1.5
const OPERATOR_WEIGHT = 2.5
const GRAMMAR_SLIP_WEIGHT = 2
const UNSAFE_WEIGHT = 6
const UNSURE_WEIGHT = 1

/** symbols sit next to digits ("25%", "2x²"), so they are matched outside the word-based cues */
const OPERATOR = /[+*/=^%²³√×÷]|\d\s*-\s*\d/

/** a number that is not a year is evidence of math */
const hasNonYearNumber = (text: string): boolean =>
  (numberWordsToDigits(text).match(/\d+(?:\.\d+)?/g) ?? []).some((n) => !/^(1\d{3}|20[0-2]\d)$/.test(n))

const scoreText = (input: string): Scores => {
  const text = normalizeText(input)
  const scores = zero()
  for (const cue of cues) {
    const distinct = new Set(Array.from(text.matchAll(cue.regex), (m) => m[0]))
    if (distinct.size > 0) scores[cue.subject] += cue.weight * (distinct.size > 1 ? 1 + REPEAT_FACTOR : 1)
  }
  if (hasNonYearNumber(text)) scores.math += NUMBER_WEIGHT
  if (OPERATOR.test(text)) scores.math += OPERATOR_WEIGHT
  if (text.split(/\s+/).length >= 3 && checkGrammar(input).explanations.length > 0) scores.english += GRAMMAR_SLIP_WEIGHT
  const safety = assessWithLexicon(input)
  if (safety._tag === "Inconclusive") scores.escalate += UNSURE_WEIGHT
  else if (safety.result.flagged) scores.escalate += UNSAFE_WEIGHT
  return scores
}

/** the softmax probability of `subject` against the other subjects and "none of them" */
const confidenceOf = (scores: Scores, subject: Subject): number =>
  Math.exp(scores[subject]) / SUBJECTS.reduce((sum, s) => sum + Math.exp(scores[s]), Math.exp(cueFile.baseline))

const PRIOR_WEIGHT = 1.2
const PRIOR_DECAY = 0.6
const PRIOR_TURNS = 4
const FOLLOW_UP_BOOST = 2.5
const SHORT_QUESTION_WORDS = 4
const SHORT_QUESTION_BOOST = 1.5
/** below this, an unlabelled earlier student turn says too little to lean on */
const PRIOR_MIN_CONFIDENCE = 0.6

/** subject of an earlier turn: its label, or for a student turn its own lexical classification */
const turnSubject = (turn: ConversationTurn): Subject | undefined => {
  if (turn.subject !== undefined) return turn.subject
  if (turn.role !== "student") return undefined
  const own = classifyLocally(turn.text, [])
  return own.confidence >= PRIOR_MIN_CONFIDENCE ? own.subject : undefined
}

const priorScores = (text: string, recentTurns: ReadonlyArray<ConversationTurn>): Scores => {
  const prior = zero()
  const boost = (isFollowUp(text) ? FOLLOW_UP_BOOST : 1) *
    (normalizeText(text).trim().split(/\s+/).length <= SHORT_QUESTION_WORDS ? SHORT_QUESTION_BOOST : 1)
  recentTurns.slice(-PRIOR_TURNS).toReversed().forEach((turn, age) => {
    const subject = turnSubject(turn)
    // a safety escalation is decided on what the student says now, never inherited
    if (subject === undefined || subject === "escalate") return
    prior[subject] += PRIOR_WEIGHT * PRIOR_DECAY ** age * boost
  })
  return prior
}

const round = (x: number): number => Math.round(x * 100) / 100

/**
 * The sentence model's probability of each subject (src/layers/local/safety): evidence that reads
 * meaning, not words, so "why was the steam engine important" is history without a history cue.
 */
export type ModelSubjects = Readonly<Record<AnswerSubject, number>>

/** a subject the model is sure of weighs like one strong cue */
const MODEL_WEIGHT = 4

export const classifyLocally = (
  text: string,
  recentTurns: ReadonlyArray<ConversationTurn>,
  model?: ModelSubjects
): Classification => {
  const lexical = scoreText(text)
  const evidence: Scores = model === undefined ? lexical : {
    math: lexical.math + MODEL_WEIGHT * model.math,
    history: lexical.history + MODEL_WEIGHT * model.history,
    english: lexical.english + MODEL_WEIGHT * model.english,
    escalate: lexical.escalate
  }
  const prior = priorScores(text, recentTurns)
  const scores: Scores = {
    math: evidence.math + prior.math,
    history: evidence.history + prior.history,
    english: evidence.english + prior.english,
    escalate: evidence.escalate + prior.escalate
  }
  // ties go to safety first; with no evidence at all the answer is english (the tutor's
  // documented fallback) with a confidence low enough to make the tutor ask
  const ranked = TIE_ORDER.toSorted((a, b) => scores[b] - scores[a])
  const best = scores[ranked[0] ?? "english"] > 0 ? ranked[0] ?? "english" : "english"
  const describe = (s: Scores) => SUBJECTS.map((subject) => `${subject}=${round(s[subject])}`).join(" ")
  return {
    subject: best,
    confidence: round(confidenceOf(scores, best)),
    raw: `local:${model === undefined ? "lexicon" : "lexicon+model"} ${describe(evidence)} prior(${describe(prior)})`
  }
}
