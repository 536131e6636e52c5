/**
 * Word-level matching shared by the knowledge base, the classifier and the moderation lexicon:
 * lower case, straight apostrophes, and a light stemmer so "metaphors" finds "metaphor" and
 * "Rome's fall" finds "rome fall".
 */

export const normalizeText = (text: string): string =>
  text.toLowerCase().replace(/[‘’`´]/g, "'").replace(/[“”]/g, "\"").replace(/[–—]/g, "-")

/** plural and possessive endings only; both sides of every comparison go through it */
const stem = (word: string): string => {
  const bare = word.endsWith("'s") ? word.slice(0, -2) : word
  if (bare.length > 4 && bare.endsWith("ies")) return `${bare.slice(0, -3)}y`
  if (bare.length > 4 && bare.endsWith("s") && !/(ss|us|is)$/.test(bare)) return bare.slice(0, -1)
  return bare
}

/** stems of the words of `text`, keeping contractions like "they're" whole */
export const stems = (text: string): ReadonlyArray<string> =>
  (normalizeText(text).match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? []).map(stem)

/** whether `phrase` (already stemmed) occurs as consecutive words of `words` */
export const containsPhrase = (words: ReadonlyArray<string>, phrase: ReadonlyArray<string>): boolean => {
  if (phrase.length === 0 || phrase.length > words.length) return false
  for (let start = 0; start + phrase.length <= words.length; start++) {
    if (phrase.every((word, offset) => words[start + offset] === word)) return true
  }
  return false
}

/** `source` matched only on whole words, apostrophes counting as part of a word ("don't", "it's") */
export const wholeWords = (source: string, flags: "g" | "" = ""): RegExp =>
  new RegExp(`(?<![a-z0-9'])(?:${source})(?![a-z0-9'])`, flags)

/** a question that leans on the conversation: "and what about him?", "why?", "tell me more" */
export const isFollowUp = (text: string): boolean =>
  /^(?:and|also|but|so|then|ok|okay|what about|how about|tell me more)\b|\b(?:it|that|this|they|them|he|she|him|her|his|those|these|one|another|again|more|else|next|same|why|how come)\b/
    .test(normalizeText(text).trim())

export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

/** "a, b and c" */
export const listing = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`
