import type { Fraction } from "./Fraction.ts"

/**
 * Numbers written the way eSpeak (and a person) reads them well: "negative 3" (TTS drops a bare
 * minus sign), "one half" (it reads "1/2" as "one slash two"), "about 50.27" for approximations.
 */

const ORDINALS: ReadonlyArray<readonly [singular: string, plural: string]> = [
  ["", ""],
  ["", ""],
  ["half", "halves"],
  ["third", "thirds"],
  ["quarter", "quarters"],
  ["fifth", "fifths"],
  ["sixth", "sixths"],
  ["seventh", "sevenths"],
  ["eighth", "eighths"],
  ["ninth", "ninths"],
  ["tenth", "tenths"],
  ["eleventh", "elevenths"],
  ["twelfth", "twelfths"]
]

const grouped = (n: bigint): string => (n >= 10_000n ? n.toLocaleString("en-US") : n.toString())

export const speakInteger = (n: bigint): string => (n < 0n ? `negative ${grouped(-n)}` : grouped(n))

/** "3 eighths", "one half", "5 over 17": a fraction read as written, without reducing it */
export const speakOver = (num: bigint, den: bigint): string => {
  const ordinal = ORDINALS[Number(den)]
  if (den > 12n || ordinal === undefined) return `${num} over ${den}`
  return num === 1n ? `one ${ordinal[0]}` : `${num} ${ordinal[1]}`
}

/** exact value: integer, common fraction in words, mixed number, short decimal, or "N over D" */
export const speakExact = (value: Fraction): string => {
  if (value.isInteger) return speakInteger(value.num)
  if (value.sign < 0) return `negative ${speakExact(value.neg())}`
  if (value.den <= 12n) {
    const whole = value.num / value.den
    const rest = value.num % value.den
    return whole === 0n ? speakOver(rest, value.den) : `${grouped(whole)} and ${speakOver(rest, value.den)}`
  }
  return value.toTerminatingDecimal(4) ?? speakOver(value.num, value.den)
}

/** a decimal for steps like "25 percent is 0.25"; falls back to the exact words when it does not terminate */
export const speakDecimal = (value: Fraction): string => {
  const decimal = value.toTerminatingDecimal(6)
  if (decimal === undefined) return speakExact(value)
  return decimal.startsWith("-") ? `negative ${decimal.slice(1)}` : decimal
}

/** rounded to two decimals; the caller says "about" */
export const speakApprox = (x: number): string => {
  const rounded = Math.round(x * 100) / 100
  const text = Math.abs(rounded) >= 10_000
    ? Math.abs(rounded).toLocaleString("en-US", { maximumFractionDigits: 2 })
    : String(Math.abs(rounded))
  return rounded < 0 ? `negative ${text}` : text
}

/** "= 16π ≈ 50.27"-style symbolic text for the short answer shown next to the transcript */
export const showApprox = (x: number): string => String(Math.round(x * 100) / 100)
