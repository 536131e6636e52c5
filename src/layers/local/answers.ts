import type { AnswerSubject, ConversationTurn } from "../../services/Specialists.ts"
import { checkGrammar } from "./english/grammar.ts"
import { englishKnowledge, historyKnowledge, type KnowledgeBase, mathKnowledge, words } from "./knowledge/KnowledgeBase.ts"
import { MATH_CAPABILITIES, solveMath } from "./math/solver.ts"
import { capitalize, isFollowUp, listing, normalizeText } from "./text.ts"

/**
 * What the offline tutor says, as spoken sentences, for each subject: a real answer when the
 * solver or the knowledge base has one, and otherwise an honest "this needs the live model".
 */

const LIVE_MODEL = "needs the live tutor model"

const previousStudentQuestion = (history: ReadonlyArray<ConversationTurn>): string | undefined =>
  history.toReversed().find((turn) => turn.role === "student")?.text

/**
 * The knowledge base's answer; for a follow-up on a topic we already covered, an honest note
 * that the offline notes stop there (repeating the same paragraph would not answer it).
 */
const fromKnowledge = (
  knowledge: KnowledgeBase,
  question: string,
  history: ReadonlyArray<ConversationTurn>
): ReadonlyArray<string> | undefined => {
  const match = knowledge.lookup(question)
  if (match !== undefined) return match.entry.answer
  const previous = previousStudentQuestion(history)
  const earlier = previous === undefined ? undefined : knowledge.lookup(previous)
  if (earlier === undefined || !isFollowUp(question)) return undefined
  return [
    `My offline notes on ${earlier.entry.title} only go as far as what I just told you.`,
    `A deeper follow-up like this one ${LIVE_MODEL}.`,
    "You can also ask me about another topic."
  ]
}

const sampleTopics = (knowledge: KnowledgeBase): string => listing(knowledge.entries.slice(0, 4).map((entry) => entry.title))

export const answerMath = (question: string): ReadonlyArray<string> => {
  const solution = solveMath(question)
  if (solution._tag === "Solved") return solution.sentences
  return mathKnowledge.lookup(question)?.entry.answer ?? [
    `I can't solve that one offline, so it ${LIVE_MODEL}.`,
    MATH_CAPABILITIES
  ]
}

const answerHistory = (question: string, history: ReadonlyArray<ConversationTurn>): ReadonlyArray<string> =>
  fromKnowledge(historyKnowledge, question, history) ?? [
    `I don't have notes on that in my offline library, so this question ${LIVE_MODEL}.`,
    `Offline, I can tell you about topics such as ${sampleTopics(historyKnowledge)}.`
  ]

/** the student's own sentence: after a colon, or in quotes ("check this: me and him goes") */
const studentSentence = (question: string): string | undefined => {
  const quoted = /["“]([^"”]{3,})["”]/.exec(question)?.[1]
  const afterColon = question.includes(":") ? question.slice(question.lastIndexOf(":") + 1).trim() : undefined
  const candidate = quoted ?? afterColon
  return candidate !== undefined && candidate.split(/\s+/).length >= 2 ? candidate : undefined
}

const GRAMMAR_REQUEST = /\b(?:improve|correct|check|fix|grammar|grammatical|mistakes?|errors?|right|wrong|proofread|better)\b/

/** fixes when there are any; "none found" only when the student asked for a check */
const grammarAnswer = (question: string, sentence: string): ReadonlyArray<string> | undefined => {
  const check = checkGrammar(sentence)
  if (check.explanations.length === 0) {
    if (!GRAMMAR_REQUEST.test(normalizeText(question))) return undefined
    return [
      `I checked ${check.corrected.replace(/[.!?]$/, "")} for the common mistakes I know, and found none.`,
      `A full review of style and meaning ${LIVE_MODEL}.`
    ]
  }
  return [`Here is a corrected version: ${check.corrected}`, ...check.explanations]
}

const WORD_QUESTION = /what does (?:the word )?["']?([a-z]+)["']? mean|(?:meaning|definition) of (?:the word )?["']?([a-z]+)|define (?:the word )?["']?([a-z]+)/
const PAST_TENSE_QUESTION = /past (?:tense|participle|form) of (?:the verb )?["']?([a-z]+)/

const wordAnswer = (question: string): ReadonlyArray<string> | undefined => {
  const match = WORD_QUESTION.exec(normalizeText(question))
  const word = match?.[1] ?? match?.[2] ?? match?.[3]
  if (word === undefined) return undefined
  const entry = words.glossary.find((g) => g.word === word)
  if (entry !== undefined) return [entry.definition, `For example: ${entry.example}`]
  // a literary term the knowledge base explains ("what does onomatopoeia mean") is not a miss
  if (englishKnowledge.lookup(question) !== undefined) return undefined
  return [
    `The word ${word} is not in my offline dictionary, so its meaning ${LIVE_MODEL}.`,
    "A good dictionary will also give you example sentences that show how it is used."
  ]
}

const pastTenseAnswer = (question: string): ReadonlyArray<string> | undefined => {
  const verb = PAST_TENSE_QUESTION.exec(normalizeText(question))?.[1]
  if (verb === undefined) return undefined
  const irregular = words.irregularVerbs.find((v) => v.base === verb)
  if (irregular === undefined) {
    return [
      `${capitalize(verb)} is not in my list of irregular verbs, so it most likely just adds e d for the past tense.`,
      "Check the spelling in a dictionary, because some verbs double their last letter, like stop and stopped."
    ]
  }
  return [
    `The past tense of ${verb} is ${irregular.past}, as in yesterday I ${irregular.past.split(" ")[0] ?? irregular.past}.`,
    `The past participle, used with have, is ${irregular.participle}.`,
    `${capitalize(verb)} is an irregular verb, so it does not just add e d.`
  ]
}

const answerEnglish = (question: string, history: ReadonlyArray<ConversationTurn>): ReadonlyArray<string> => {
  const sentence = studentSentence(question)
  return (sentence === undefined ? undefined : grammarAnswer(question, sentence)) ?? wordAnswer(question) ?? pastTenseAnswer(question) ?? fromKnowledge(englishKnowledge, question, history) ?? [
    `I don't have that in my offline notes, so this question ${LIVE_MODEL}.`,
    "Offline, I can fix common grammar mistakes and explain punctuation, parts of speech, figures of speech like metaphors and similes, and essay writing."
  ]
}

export const answerFor = (
  subject: AnswerSubject,
  question: string,
  history: ReadonlyArray<ConversationTurn>
): ReadonlyArray<string> => {
  switch (subject) {
    case "math":
      return answerMath(question)
    case "history":
      return answerHistory(question, history)
    case "english":
      return answerEnglish(question, history)
  }
}
