/**
 * Spoken numbers to digits, because speech-to-text often writes what the student said:
 * "twenty five percent of eighty" → "25 percent of 80", "one hundred and fifty six" → "156",
 * "three point five" → "3.5", "two thirds" → "2/3", "a quarter of" → "1/4 of".
 * Lists stay lists: "four, eight and fifteen" is three numbers ("and" only joins after a scale word).
 */

const UNITS: Readonly<Record<string, number>> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19
}
const TENS: Readonly<Record<string, number>> = {
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90
}
const SCALES: Readonly<Record<string, bigint>> = {
  thousand: 1_000n, million: 1_000_000n, billion: 1_000_000_000n
}
const DENOMINATORS: Readonly<Record<string, number>> = {
  half: 2, halves: 2, third: 3, thirds: 3, quarter: 4, quarters: 4, fourth: 4, fourths: 4,
  fifth: 5, fifths: 5, sixth: 6, sixths: 6, seventh: 7, sevenths: 7, eighth: 8, eighths: 8,
  ninth: 9, ninths: 9, tenth: 10, tenths: 10, twelfth: 12, twelfths: 12, hundredth: 100, hundredths: 100
}

const lookup = <A>(table: Readonly<Record<string, A>>, word: string | undefined): A | undefined =>
  word !== undefined && Object.hasOwn(table, word) ? table[word] : undefined

const isNumberWord = (word: string | undefined): boolean =>
  lookup(UNITS, word) !== undefined || lookup(TENS, word) !== undefined || word === "hundred" ||
  lookup(SCALES, word) !== undefined

interface Parsed {
  readonly text: string
  readonly next: number
}

/** reads one spoken integer starting at `start`; `undefined` when the word there is not a number */
const readInteger = (words: ReadonlyArray<string>, start: number): { value: bigint; next: number } | undefined => {
  let total = 0n
  let current = 0n
  let i = start
  let lastWasScale = false
  let lastUnit = -1
  for (; i < words.length; i++) {
    const word = words[i]
    const unit = lookup(UNITS, word) ?? lookup(TENS, word)
    const scale = lookup(SCALES, word)
    if (unit !== undefined) {
      // "five twenty" is two numbers; "twenty five" is one
      if (lastUnit >= 0 && !(lastUnit >= 20 && lastUnit % 10 === 0 && unit < 10)) break
      current += BigInt(unit)
      lastUnit = unit
      lastWasScale = false
    } else if (word === "hundred" && i > start) {
      current = (current === 0n ? 1n : current) * 100n
      lastUnit = -1
      lastWasScale = true
    } else if (scale !== undefined && i > start) {
      total += (current === 0n ? 1n : current) * scale
      current = 0n
      lastUnit = -1
      lastWasScale = true
    } else if (word === "and" && lastWasScale && isNumberWord(words[i + 1])) {
      lastWasScale = false
    } else {
      break
    }
  }
  return i > start ? { value: total + current, next: i } : undefined
}

const readDecimals = (words: ReadonlyArray<string>, start: number): Parsed | undefined => {
  if (words[start] !== "point") return undefined
  let digits = ""
  let i = start + 1
  for (let digit = lookup(UNITS, words[i]); digit !== undefined && digit < 10; digit = lookup(UNITS, words[i])) {
    digits += String(digit)
    i++
  }
  return digits === "" ? undefined : { text: `.${digits}`, next: i }
}

const denominatorAt = (words: ReadonlyArray<string>, index: number): string =>
  lookup(DENOMINATORS, words[index]) === undefined ? "" : `/${lookup(DENOMINATORS, words[index])}`

const readNumber = (words: ReadonlyArray<string>, start: number): Parsed | undefined => {
  const word = words[start] ?? ""
  const integer = readInteger(words, start)
  if (integer !== undefined) {
    const decimals = readDecimals(words, integer.next)
    if (decimals !== undefined) return { text: `${integer.value}${decimals.text}`, next: decimals.next }
    const over = denominatorAt(words, integer.next)
    return { text: `${integer.value}${over}`, next: integer.next + (over === "" ? 0 : 1) }
  }
  // "3 quarters", "a half", "a quarter of", "half of"
  const over = denominatorAt(words, start + 1)
  if (/^\d+$/.test(word) && over !== "") return { text: `${word}${over}`, next: start + 2 }
  if (word === "a" && over !== "") return { text: `1${over}`, next: start + 2 }
  if (word === "half" && words[start + 1] === "of") return { text: "1/2", next: start + 1 }
  return undefined
}

export const numberWordsToDigits = (text: string): string => {
  const tokens = text.replace(/(?<=[a-z])-(?=[a-z])/gi, " ").match(/[a-z]+|\d+(?:\.\d+)?|\s+|\S/gi) ?? []
  const wordIndex = tokens.flatMap((token, index) => (/^\s+$/.test(token) ? [] : [index]))
  const words = wordIndex.map((index) => (tokens[index] ?? "").toLowerCase())
  const out = [...tokens]
  for (let s = 0; s < words.length;) {
    const parsed = readNumber(words, s)
    if (parsed === undefined) {
      s++
      continue
    }
    const first = wordIndex[s] ?? 0
    const last = wordIndex[parsed.next - 1] ?? first
    // blank the consumed tokens instead of removing them so the indices above stay valid
    out.splice(first, last - first + 1, parsed.text, ...Array.from({ length: last - first }, () => ""))
    s = parsed.next
  }
  return out.join("")
}
