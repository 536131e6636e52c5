import { Schema } from "effect"
import { containsPhrase, stems } from "../text.ts"
import englishJson from "./english.json" with { type: "json" }
import historyJson from "./history.json" with { type: "json" }
import mathJson from "./math.json" with { type: "json" }
import wordsJson from "./words.json" with { type: "json" }

/** One spoken sentence: the tutor's segmenter cuts on the final period, so it must be there. */
const Sentence = Schema.String.pipe(Schema.check(Schema.isPattern(/\S[.]$/)))

export const KnowledgeEntry = Schema.Struct({
  id: Schema.String,
  /** what the entry explains, used when the tutor lists what it knows */
  title: Schema.String,
  /** specific phrases ("roman empire", "their there they're"): one of them is enough to match */
  aliases: Schema.Array(Schema.String),
  /** supporting words ("rome", "emperor"): several are needed when no alias matched */
  keywords: Schema.Array(Schema.String),
  answer: Schema.Array(Sentence).pipe(Schema.check(Schema.isMinLength(3), Schema.isMaxLength(6)))
})
export type KnowledgeEntry = typeof KnowledgeEntry.Type

export const KnowledgeFile = Schema.Struct({ entries: Schema.NonEmptyArray(KnowledgeEntry) })

export const WordsFile = Schema.Struct({
  glossary: Schema.Array(Schema.Struct({ word: Schema.String, definition: Sentence, example: Sentence })),
  irregularVerbs: Schema.Array(Schema.Struct({ base: Schema.String, past: Schema.String, participle: Schema.String }))
})
export type WordsFile = typeof WordsFile.Type

export interface KnowledgeMatch {
  readonly entry: KnowledgeEntry
  readonly score: number
}

export interface KnowledgeBase {
  readonly entries: ReadonlyArray<KnowledgeEntry>
  readonly lookup: (question: string) => KnowledgeMatch | undefined
}

/** an alias is worth more the longer (more specific) it is; keywords count one each */
const aliasWeight = (phrase: ReadonlyArray<string>): number => 2 + phrase.length
const MIN_KEYWORDS_WITHOUT_ALIAS = 2

const makeKnowledgeBase = (file: typeof KnowledgeFile.Type): KnowledgeBase => {
  const indexed = file.entries.map((entry) => ({
    entry,
    aliases: entry.aliases.map(stems),
    keywords: entry.keywords.map(stems)
  }))
  const lookup = (question: string): KnowledgeMatch | undefined => {
    const words = stems(question)
    let best: KnowledgeMatch | undefined
    for (const { entry, aliases, keywords } of indexed) {
      const aliasScore = aliases.filter((alias) => containsPhrase(words, alias)).reduce((sum, a) => sum + aliasWeight(a), 0)
      const keywordHits = keywords.filter((keyword) => containsPhrase(words, keyword)).length
      if (aliasScore === 0 && keywordHits < MIN_KEYWORDS_WITHOUT_ALIAS) continue
      const score = aliasScore + keywordHits
      if (best === undefined || score > best.score) best = { entry, score }
    }
    return best
  }
  return { entries: file.entries, lookup }
}

// The data ships with the code, so a file that does not decode is a build error: failing loudly
// when the module loads (and in its test) is the honest outcome, not a runtime fallback.
const decodeKnowledge = Schema.decodeUnknownSync(KnowledgeFile)

export const historyKnowledge: KnowledgeBase = makeKnowledgeBase(decodeKnowledge(historyJson))
export const englishKnowledge: KnowledgeBase = makeKnowledgeBase(decodeKnowledge(englishJson))
export const mathKnowledge: KnowledgeBase = makeKnowledgeBase(decodeKnowledge(mathJson))
export const words: WordsFile = Schema.decodeUnknownSync(WordsFile)(wordsJson)
