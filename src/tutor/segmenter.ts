import { Option, Stream } from "effect"

/**
 * Streaming sentence segmentation for speech.
 *
 * A sentence is released only once the text after it proves it complete: the terminator must be
 * followed by whitespace and then by something that can start a sentence. That is what keeps
 * decimals (`0.25`, `$4.99`, `1,250.75`), abbreviations (`Dr.`, `U.S.`, `e.g.`, `approx.`),
 * ellipses inside a sentence and closing quotes (`"Is it raining?" she asked.`) together while the
 * text still arrives in arbitrary chunks.
 */

const TERMINATORS = new Set([".", "!", "?", "…"])
const CLOSERS = new Set(["\"", "'", "”", "’", ")", "]", "*", "_"])

/** Words that end with a period but almost never end a sentence. Compared lower-case, without the final period. */
const ABBREVIATIONS = new Set([
  "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "mt", "fig", "vs", "cf", "approx", "e.g", "i.e",
  "dept", "lt", "sgt", "capt", "gov", "rev", "a.m", "p.m"
])

const isWhitespace = (char: string | undefined): boolean => char !== undefined && /\s/.test(char)
const isLowercaseStart = (char: string | undefined): boolean => char !== undefined && /\p{Ll}/u.test(char)

/** True when the period at `dot` closes an abbreviation or an initialism like `U.S` / `J.` rather than a sentence. */
const closesAbbreviation = (text: string, dot: number): boolean => {
  let start = dot
  while (start > 0 && !isWhitespace(text[start - 1])) start--
  const word = text.slice(start, dot).replace(/^[("'“‘]+/, "")
  if (ABBREVIATIONS.has(word.toLowerCase())) return true
  // initialisms (U.S, U.K, J.R.R) and single capital initials (John F. Kennedy), but not "World War I."
  return /^(\p{Lu}\.)+\p{Lu}$/u.test(word) || (/^\p{Lu}$/u.test(word) && word !== "I")
}

interface Cut {
  readonly sentences: ReadonlyArray<string>
  readonly rest: string
}

/**
 * Cuts every sentence that is provably complete out of `text`. With `final` the end of the text
 * counts as proof, so the residual is always released.
 */
export const cutSentences = (text: string, final: boolean): Cut => {
  const sentences: Array<string> = []
  let start = 0
  let i = 0
  const emit = (end: number, resume: number) => {
    const sentence = text.slice(start, end).trim()
    if (sentence.length > 0) sentences.push(sentence)
    start = resume
    i = resume
  }
  while (i < text.length) {
    const char = text[i]
    if (char === "\n") {
      // a blank line ends a block (list items, headings) even without punctuation
      let next = i + 1
      while (next < text.length && text[next] !== "\n" && isWhitespace(text[next])) next++
      if (text[next] === "\n") {
        emit(i, next + 1)
        continue
      }
      i++
      continue
    }
    if (char === undefined || !TERMINATORS.has(char)) {
      i++
      continue
    }
    let end = i
    while (end < text.length && TERMINATORS.has(text[end] ?? "")) end++
    const singlePeriod = end - i === 1 && char === "."
    while (end < text.length && CLOSERS.has(text[end] ?? "")) end++
    if (end === text.length) {
      if (final) emit(end, end)
      break
    }
    if (!isWhitespace(text[end])) {
      // "0.25", "U.S.A", "e.g.," — no whitespace, no boundary
      i = end
      continue
    }
    let next = end
    while (next < text.length && isWhitespace(text[next])) next++
    if (next === text.length) {
      if (final) emit(end, next)
      break
    }
    if ((singlePeriod && closesAbbreviation(text, i)) || isLowercaseStart(text[next])) {
      i = end
      continue
    }
    emit(end, next)
  }
  const rest = text.slice(start)
  if (final) {
    const residual = rest.trim()
    return { sentences: residual.length > 0 ? [...sentences, residual] : sentences, rest: "" }
  }
  return { sentences, rest }
}

/**
 * Turns a stream of text deltas into a stream of complete sentences. The residual is flushed when
 * the stream ends, but not when it fails: a cut answer must not end on half a sentence.
 */
export const toSentences = <E, R>(deltas: Stream.Stream<string, E, R>): Stream.Stream<string, E, R> =>
  deltas.pipe(
    Stream.map(Option.some),
    // an explicit end marker, so the flush happens only on a clean end
    Stream.concat(Stream.succeed(Option.none<string>())),
    Stream.mapAccum(
      () => "",
      (buffer: string, delta: Option.Option<string>) => {
        const { rest, sentences } = Option.isNone(delta)
          ? cutSentences(buffer, true)
          : cutSentences(buffer + delta.value, false)
        return [rest, sentences] as const
      }
    )
  )
