import {
  addPoly,
  coefficient,
  degreeOf,
  evaluateWithSteps,
  exact,
  isValue,
  type Poly,
  scalePoly,
  type Speaker,
  showPoly,
  speakPoly,
  speakValue,
  toNumber,
  toPoly,
  type Value
} from "./evaluate.ts"
import { countOperations, type Equation, type Expr, mixesPrecedence, parseMath, showExpr, speakExpr, symbolize, variablesOf } from "./expression.ts"
import { Fraction, gcd, primeFactors } from "./Fraction.ts"
import { capitalize, listing } from "../text.ts"
import { numberWordsToDigits } from "./numberWords.ts"
import { showApprox, speakApprox, speakDecimal, speakExact, speakInteger } from "./speak.ts"

/**
 * The offline math tutor: recognises a handful of question families, solves them exactly and
 * explains each step in one short spoken sentence (every sentence ends with a period).
 */
export type MathAnswer =
  | {
    readonly _tag: "Solved"
    readonly sentences: ReadonlyArray<string>
    /** the answer in symbols, e.g. "x = 1/2 or x = -3" */
    readonly result: string
  }
  | { readonly _tag: "Unsupported" }

interface Question {
  /** lower case, digits for spoken numbers, symbols normalised, no question marks */
  readonly text: string
  /** `text` with operator words turned into symbols */
  readonly symbolic: string
  /** the student wrote decimals, so answer in decimals rather than fractions */
  readonly decimals: boolean
}

const NUMBER = String.raw`-?\d+(?:\.\d+)?(?:/\d+)?`

const prepare = (question: string): Question => {
  const text = numberWordsToDigits(
    question.toLowerCase()
      .replace(/²/g, "^2")
      .replace(/³/g, "^3")
      .replace(/[×✕·]/g, " * ")
      .replace(/÷/g, " / ")
      .replace(/[−–—]/g, "-")
      .replace(/√/g, " square root of ")
      .replace(/π/g, " pi ")
      .replace(/(\d),(?=\d{3}\b)/g, "$1")
  )
    .replace(/[?!]/g, " ")
    .replace(/\.(?!\d)/g, " ")
    .replace(/\s+/g, " ")
    .trim()
  const symbolic = symbolize(text)
  // "3 x 4" means times unless the student is working with an unknown
  const timesX = /=|\bsolve|\bsimplify|\bexpand|\bfactor/.test(symbolic)
    ? symbolic
    : symbolic.replace(/(\d)\s*x\s*(?=\d)/g, "$1 * ")
  return { text, symbolic: timesX, decimals: /\d\.\d/.test(text) }
}

const fraction = (text: string): Fraction | undefined => {
  const [top = "", bottom] = text.split("/")
  const numerator = Fraction.parseDecimal(top)
  if (numerator === undefined) return undefined
  if (bottom === undefined) return numerator
  const denominator = Fraction.parseDecimal(bottom)
  return denominator === undefined ? undefined : numerator.div(denominator)
}

const numbersIn = (text: string): ReadonlyArray<Fraction> =>
  (text.match(new RegExp(NUMBER, "g")) ?? []).flatMap((n) => {
    const value = fraction(n)
    return value === undefined ? [] : [value]
  })

const solved = (sentences: ReadonlyArray<string>, result: string): MathAnswer => ({ _tag: "Solved", sentences, result })

const speakerFor = (question: Question): Speaker => (question.decimals ? speakDecimal : speakExact)

// ---------------------------------------------------------------------------------------------
// percentages

const percentOf = (question: Question): MathAnswer | undefined => {
  const match = new RegExp(String.raw`(${NUMBER})\s*(?:%|percent|per cent)\s+of\s+(${NUMBER})`).exec(question.text)
  const rate = fraction(match?.[1] ?? "")
  const whole = fraction(match?.[2] ?? "")
  if (rate === undefined || whole === undefined) return undefined
  const decimal = rate.mul(Fraction.of(1n, 100n))
  const result = decimal.mul(whole)
  return solved([
    `Percent means out of 100, so ${speakDecimal(rate)} percent is ${speakDecimal(decimal)}.`,
    `Then multiply: ${speakDecimal(decimal)} times ${speakDecimal(whole)} is ${speakDecimal(result)}.`,
    `So ${speakDecimal(rate)} percent of ${speakDecimal(whole)} is ${speakDecimal(result)}.`
  ], `${showFractionOrApprox(rate)}% of ${showFractionOrApprox(whole)} = ${showFractionOrApprox(result)}`)
}

const whatPercent = (question: Question): MathAnswer | undefined => {
  const p = String.raw`(?:%|percent|percentage|per cent)`
  const patterns: ReadonlyArray<readonly [RegExp, "partFirst" | "wholeFirst"]> = [
    [new RegExp(String.raw`what ${p} of (${NUMBER}) is (${NUMBER})`), "wholeFirst"],
    [new RegExp(String.raw`what ${p} (?:is )?(${NUMBER}) (?:of |out of )(${NUMBER})`), "partFirst"],
    [new RegExp(String.raw`(${NUMBER}) is what ${p} of (${NUMBER})`), "partFirst"],
    [new RegExp(String.raw`(${NUMBER}) out of (${NUMBER}) as a ${p}`), "partFirst"]
  ]
  for (const [pattern, order] of patterns) {
    const match = pattern.exec(question.text)
    const first = fraction(match?.[1] ?? "")
    const second = fraction(match?.[2] ?? "")
    if (first === undefined || second === undefined) continue
    const [part, whole] = order === "partFirst" ? [first, second] : [second, first]
    const ratio = part.div(whole)
    if (ratio === undefined) return solved(["A percentage of zero is undefined, because we would divide by zero."], "undefined")
    const percent = ratio.mul(Fraction.int(100))
    const spokenPercent = percent.toTerminatingDecimal(2) === undefined ? `about ${speakApprox(percent.toNumber())}` : speakDecimal(percent)
    return solved([
      `Divide the part by the whole: ${speakDecimal(part)} divided by ${speakDecimal(whole)} ${isValue(decimalValue(ratio), speakDecimal)}.`,
      `Multiply by 100 to turn it into a percentage, which gives ${spokenPercent} percent.`,
      `So ${speakDecimal(part)} is ${spokenPercent} percent of ${speakDecimal(whole)}.`
    ], `${showFractionOrApprox(percent)}%`)
  }
  return undefined
}

const decimalValue = (value: Fraction): Value =>
  value.toTerminatingDecimal(4) === undefined ? { _tag: "Approx", value: value.toNumber() } : exact(value)

const showFractionOrApprox = (value: Fraction): string => value.toTerminatingDecimal(4) ?? `≈${showApprox(value.toNumber())}`

// ---------------------------------------------------------------------------------------------
// shapes

const UNIT = String.raw`(cm|centimet(?:er|re)s?|mm|millimet(?:er|re)s?|km|kilomet(?:er|re)s?|m|met(?:er|re)s?|inch(?:es)?|in|feet|foot|ft|yards?|yd|miles?)`

const unitOf = (text: string): { readonly length: string; readonly area: string } => {
  const unit = new RegExp(String.raw`\d\s*${UNIT}\b`).exec(text)?.[1]
  return unit === undefined ? { length: "units", area: "square units" } : { length: unit, area: `square ${unit}` }
}

const numberAfter = (text: string, words: string): Fraction | undefined =>
  fraction(new RegExp(String.raw`\b(?:${words})\b(?:\s+(?:of|is|=|length|measuring))*\s*(${NUMBER})`).exec(text)?.[1] ?? "")

const shapes = (question: Question): MathAnswer | undefined => {
  const { text } = question
  const wantsArea = /\barea\b/.test(text)
  const wantsPerimeter = /\bperimeter\b|\bcircumference\b/.test(text)
  if (!wantsArea && !wantsPerimeter) return undefined
  const unit = unitOf(text)
  const numbers = numbersIn(text)
  const speak = speakerFor(question)

  if (/\bcircle\b|\bradius\b|\bdiameter\b|\bcircumference\b/.test(text)) {
    const diameter = numberAfter(text, "diameter")
    const radius = numberAfter(text, "radius") ?? diameter?.mul(Fraction.of(1n, 2n)) ?? numbers[0]
    if (radius === undefined || radius.sign <= 0) return undefined
    const sentences: Array<string> = []
    const results: Array<string> = []
    if (diameter !== undefined) sentences.push(`The radius is half the diameter, so it is ${speak(radius)}.`)
    if (wantsArea) {
      const squared = radius.mul(radius)
      const area = squared.toNumber() * Math.PI
      sentences.push(
        "The area of a circle is pi times the radius squared.",
        `${capitalize(speak(radius))} squared is ${speak(squared)}, so the area is ${speak(squared)} pi.`,
        `That is about ${speakApprox(area)} ${unit.area}.`
      )
      results.push(`A = ${squared}π ≈ ${showApprox(area)}`)
    }
    if (wantsPerimeter) {
      const twice = radius.mul(Fraction.int(2))
      const circumference = twice.toNumber() * Math.PI
      sentences.push(
        "The circumference of a circle is 2 times pi times the radius.",
        `2 times ${speak(radius)} is ${speak(twice)}, so the circumference is ${speak(twice)} pi, about ${speakApprox(circumference)} ${unit.length}.`
      )
      results.push(`C = ${twice}π ≈ ${showApprox(circumference)}`)
    }
    return solved(sentences, results.join(", "))
  }

  if (/\bsquare\b/.test(text)) {
    const side = numberAfter(text, "side|sides") ?? numbers[0]
    if (side === undefined || side.sign <= 0) return undefined
    const sentences: Array<string> = []
    const results: Array<string> = []
    if (wantsArea) {
      const area = side.mul(side)
      sentences.push(`The area of a square is the side times itself, so ${speak(side)} times ${speak(side)} is ${speak(area)} ${unit.area}.`)
      results.push(`A = ${area}`)
    }
    if (wantsPerimeter) {
      const perimeter = side.mul(Fraction.int(4))
      sentences.push(`A square has 4 equal sides, so the perimeter is 4 times ${speak(side)}, which is ${speak(perimeter)} ${unit.length}.`)
      results.push(`P = ${perimeter}`)
    }
    return solved(sentences, results.join(", "))
  }

  if (/\brectangle\b|\boblong\b/.test(text)) {
    const by = new RegExp(String.raw`(${NUMBER})\s*(?:${UNIT}\s*)?(?:by|x|\*)\s*(${NUMBER})`).exec(question.symbolic)
    const length = numberAfter(text, "length|long") ?? fraction(by?.[1] ?? "") ?? numbers[0]
    const width = numberAfter(text, "width|wide|breadth") ?? fraction(by?.[3] ?? "") ?? numbers[1]
    if (length === undefined || width === undefined || length.sign <= 0 || width.sign <= 0) return undefined
    const sentences: Array<string> = []
    const results: Array<string> = []
    if (wantsArea) {
      const area = length.mul(width)
      sentences.push(`The area of a rectangle is length times width, so ${speak(length)} times ${speak(width)} is ${speak(area)} ${unit.area}.`)
      results.push(`A = ${area}`)
    }
    if (wantsPerimeter) {
      const half = length.add(width)
      const perimeter = half.mul(Fraction.int(2))
      sentences.push(
        `The perimeter is twice the length plus twice the width.`,
        `${capitalize(speak(length))} plus ${speak(width)} is ${speak(half)}, and 2 times ${speak(half)} is ${speak(perimeter)} ${unit.length}.`
      )
      results.push(`P = ${perimeter}`)
    }
    return solved(sentences, results.join(", "))
  }

  if (/\btriangle\b/.test(text)) {
    const sentences: Array<string> = []
    const results: Array<string> = []
    if (wantsArea) {
      const base = numberAfter(text, "base") ?? numbers[0]
      const height = numberAfter(text, "height|high|tall") ?? numbers[1]
      if (base === undefined || height === undefined || base.sign <= 0 || height.sign <= 0) return undefined
      const product = base.mul(height)
      const area = product.mul(Fraction.of(1n, 2n))
      sentences.push(
        "The area of a triangle is half of the base times the height.",
        `${capitalize(speak(base))} times ${speak(height)} is ${speak(product)}, and half of that is ${speak(area)} ${unit.area}.`
      )
      results.push(`A = ${area}`)
    }
    if (wantsPerimeter) {
      const [a, b, c] = numbers
      if (a === undefined || b === undefined || c === undefined) return undefined
      const perimeter = a.add(b).add(c)
      sentences.push(`The perimeter is the three sides added up: ${speak(a)} plus ${speak(b)} plus ${speak(c)} is ${speak(perimeter)} ${unit.length}.`)
      results.push(`P = ${perimeter}`)
    }
    return solved(sentences, results.join(", "))
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// statistics

const statistics = (question: Question): MathAnswer | undefined => {
  const keyword = /\b(mean|average|median|mode|range)\b/.exec(question.text)
  if (keyword === null) return undefined
  const values = numbersIn(question.text.slice(keyword.index))
  if (values.length < 2) return undefined
  const speak = speakerFor(question)
  const listed = listing(values.map(speak))
  const sorted = values.toSorted((a, b) => a.compare(b))
  switch (keyword[1]) {
    case "median": {
      const middle = Math.floor(sorted.length / 2)
      const upper = sorted[middle] ?? Fraction.zero
      const lower = sorted[middle - 1] ?? upper
      const ordered = `Put the numbers in order: ${listing(sorted.map(speak))}.`
      if (sorted.length % 2 === 1) {
        return solved([ordered, `The middle number is ${speak(upper)}, so the median is ${speak(upper)}.`], `median = ${upper}`)
      }
      const median = lower.add(upper).mul(Fraction.of(1n, 2n))
      return solved([
        ordered,
        `There are two middle numbers, ${speak(lower)} and ${speak(upper)}.`,
        `Halfway between them is ${speak(median)}, so the median is ${speak(median)}.`
      ], `median = ${median}`)
    }
    case "mode": {
      const counts = new Map<string, { value: Fraction; count: number }>()
      values.forEach((v) => counts.set(v.toString(), { value: v, count: (counts.get(v.toString())?.count ?? 0) + 1 }))
      const best = Math.max(...Array.from(counts.values(), (c) => c.count))
      if (best === 1) return solved([`In ${listed}, every number appears once, so there is no mode.`], "no mode")
      const modes = Array.from(counts.values()).filter((c) => c.count === best).map((c) => c.value)
      return solved([
        `The mode is the number that appears most often.`,
        `In ${listed}, ${listing(modes.map(speak))} ${modes.length === 1 ? "appears" : "each appear"} ${best} times, so the mode is ${listing(modes.map(speak))}.`
      ], `mode = ${modes.join(", ")}`)
    }
    case "range": {
      const low = sorted[0] ?? Fraction.zero
      const high = sorted[sorted.length - 1] ?? low
      const range = high.sub(low)
      return solved([
        `The range is the largest number minus the smallest.`,
        `${capitalize(speak(high))} minus ${speak(low)} is ${speak(range)}, so the range is ${speak(range)}.`
      ], `range = ${range}`)
    }
    default: {
      const sum = values.reduce((a, b) => a.add(b), Fraction.zero)
      const count = Fraction.int(values.length)
      const mean = sum.div(count) ?? Fraction.zero
      return solved([
        `To find the mean, add the numbers and divide by how many there are.`,
        `${capitalize(values.map(speak).join(" plus "))} is ${speak(sum)}.`,
        `There are ${values.length} numbers, so divide ${speak(sum)} by ${values.length}.`,
        `The mean is ${mean.isInteger || mean.toTerminatingDecimal(2) !== undefined ? speakDecimal(mean) : `${speakExact(mean)}, about ${speakApprox(mean.toNumber())}`}.`
      ], `mean = ${mean.toTerminatingDecimal(4) ?? `${mean} ≈ ${showApprox(mean.toNumber())}`}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// number facts and conversions

/** trial division stays instant below this */
const PRIME_LIMIT = 1_000_000_000_000n

const prime = (question: Question): MathAnswer | undefined => {
  const match = /\bis (-?\d+) (?:a )?prime\b/.exec(question.text) ?? /\bprime\b.*?\b(-?\d+)\b/.exec(question.text)
  if (match?.[1] === undefined || !/\bprimes?\b/.test(question.text)) return undefined
  const n = BigInt(match[1])
  if (n < 2n) {
    return solved([`${capitalize(speakInteger(n))} is not prime, because a prime number is a whole number above 1 with exactly two factors, 1 and itself.`], `${n} is not prime`)
  }
  if (n > PRIME_LIMIT) return undefined
  const factors = primeFactors(n)
  if (factors.length === 1) {
    return solved([
      `A prime number has exactly two factors, 1 and itself.`,
      `No whole number from 2 up to the square root of ${speakInteger(n)} divides it evenly, so ${speakInteger(n)} is prime.`
    ], `${n} is prime`)
  }
  const smallest = factors[0] ?? n
  return solved([
    `A prime number has exactly two factors, 1 and itself.`,
    `${capitalize(speakInteger(n))} divides evenly by ${speakInteger(smallest)}, because ${speakInteger(smallest)} times ${speakInteger(n / smallest)} is ${speakInteger(n)}.`,
    `So ${speakInteger(n)} is not prime.`
  ], `${n} = ${factors.join(" × ")}, not prime`)
}

const conversions = (question: Question): MathAnswer | undefined => {
  const { text } = question
  const toFraction = /(-?\d*\.\d+)\s*(?:in)?(?:to|as|into) (?:a |an )?(?:fraction|ratio)/.exec(text) ??
    /convert (-?\d*\.\d+) .*fraction/.exec(text)
  if (toFraction?.[1] !== undefined) {
    const value = Fraction.parseDecimal(toFraction[1])
    const places = toFraction[1].split(".")[1]?.length ?? 0
    if (value === undefined) return undefined
    const scale = 10n ** BigInt(places)
    const raw = BigInt(toFraction[1].replace(".", ""))
    const common = gcd(raw, scale)
    return solved([
      `${capitalize(toFraction[1])} has ${places} decimal ${places === 1 ? "place" : "places"}, so write it as ${speakInteger(raw)} over ${speakInteger(scale)}.`,
      ...(common > 1n ? [`Both numbers divide by ${speakInteger(common)}, which gives ${value.num} over ${value.den}.`] : []),
      `So ${toFraction[1]} is ${speakExact(value)}.`
    ], `${toFraction[1]} = ${value}`)
  }
  const toDecimal = /(-?\d+)\/(\d+) (?:in)?(?:to|as|into) (?:a )?decimal/.exec(text)
  if (toDecimal?.[1] !== undefined && toDecimal[2] !== undefined) {
    const value = Fraction.parseDecimal(toDecimal[1])?.div(Fraction.parseDecimal(toDecimal[2]) ?? Fraction.zero)
    if (value === undefined) return undefined
    const decimal = value.toTerminatingDecimal(6)
    return solved([
      `A fraction means the top divided by the bottom, so divide ${toDecimal[1]} by ${toDecimal[2]}.`,
      decimal === undefined
        ? `The decimal never ends, and it is about ${speakApprox(value.toNumber())}.`
        : `${capitalize(speakExact(value))} is ${decimal}.`
    ], `${toDecimal[1]}/${toDecimal[2]} = ${decimal ?? `≈${showApprox(value.toNumber())}`}`)
  }
  const toPercent = new RegExp(String.raw`(${NUMBER}) (?:in)?(?:to|as|into) (?:a )?(?:percent|percentage)`).exec(text)
  const percentValue = fraction(toPercent?.[1] ?? "")
  if (toPercent?.[1] !== undefined && percentValue !== undefined) {
    const percent = percentValue.mul(Fraction.int(100))
    return solved([
      `To turn a number into a percentage, multiply it by 100.`,
      `${capitalize(toPercent[1])} times 100 is ${speakDecimal(percent)}, so it is ${speakDecimal(percent)} percent.`
    ], `${toPercent[1]} = ${showFractionOrApprox(percent)}%`)
  }
  return undefined
}

const speedDistance = (question: Question): MathAnswer | undefined => {
  const match = new RegExp(String.raw`(${NUMBER}) ?(miles|mi|kilomet(?:er|re)s|km|met(?:er|re)s|m)? (?:an|per|a|each) hour.*?\bfor (${NUMBER}) hours?`).exec(question.text) ??
    new RegExp(String.raw`(${NUMBER}) ?(mph|km/h|kph)\b.*?\bfor (${NUMBER}) hours?`).exec(question.text)
  const speed = fraction(match?.[1] ?? "")
  const hours = fraction(match?.[3] ?? "")
  if (speed === undefined || hours === undefined) return undefined
  const unit = match?.[2] === undefined ? "units" : /^(mph|mi|miles)$/.test(match[2]) ? "miles" : /^(km|kph|km\/h|kilo)/.test(match[2]) ? "kilometers" : "meters"
  const distance = speed.mul(hours)
  const speak = speakerFor(question)
  return solved([
    `Distance equals speed times time.`,
    `${capitalize(speak(speed))} times ${speak(hours)} is ${speak(distance)}.`,
    `So it goes ${speak(distance)} ${unit}.`
  ], `${speed} × ${hours} = ${distance} ${unit}`)
}

// ---------------------------------------------------------------------------------------------
// long division

const longDivision = (question: Question, expr: Expr): MathAnswer | undefined => {
  const inner = expr._tag === "Group" ? expr.expr : expr
  if (inner._tag !== "Bin" || inner.op !== "/" || inner.left._tag !== "Num" || inner.right._tag !== "Num") return undefined
  const dividend = inner.left.value
  const divisor = inner.right.value
  if (!dividend.isInteger || !divisor.isInteger || dividend.num < 0n || divisor.num < 2n || dividend.num < divisor.num) return undefined
  const d = divisor.num
  const digits = dividend.num.toString()
  const sentences: Array<string> = []
  const said = (n: bigint) => speakInteger(n)
  const times = (q: bigint) => (q === 1n ? "once" : `${said(q)} times`)
  let remainder = 0n
  let quotient = 0n
  let started = false
  const detailed = digits.length <= 6
  for (const [index, digit] of Array.from(digits).entries()) {
    const current = remainder * 10n + BigInt(digit)
    const q = current / d
    remainder = current % d
    quotient = quotient * 10n + q
    if (!started && q === 0n && index < digits.length - 1) continue
    if (detailed) {
      const left = remainder === 0n ? "with nothing left over" : `with ${said(remainder)} left over`
      sentences.push(
        started
          ? `Bring down the ${digit} to make ${said(current)}, and ${said(d)} goes into ${said(current)} ${times(q)}, ${left}.`
          : `${capitalize(said(d))} goes into ${said(current)} ${times(q)}, ${left}.`
      )
    }
    started = true
  }
  const exactQuotient = dividend.div(divisor) ?? Fraction.zero
  const answer = remainder === 0n
    ? `So ${said(dividend.num)} divided by ${said(d)} is ${said(quotient)}.`
    : `So ${said(dividend.num)} divided by ${said(d)} is ${said(quotient)} remainder ${said(remainder)}, which is ${speakerFor(question)(exactQuotient)}.`
  return solved([
    `Let's use long division, working from the left one digit at a time.`,
    ...sentences,
    answer
  ], remainder === 0n ? `${dividend} ÷ ${d} = ${quotient}` : `${dividend} ÷ ${d} = ${quotient} r ${remainder}`)
}

// ---------------------------------------------------------------------------------------------
// algebra

const polyAt = (p: Poly, x: Fraction): Fraction =>
  p.reduceRight((acc, c) => acc.mul(x).add(c), Fraction.zero)

const solveLinear = (left: Poly, right: Poly, variable: string, question: Question): MathAnswer => {
  const speak = speakerFor(question)
  const a = coefficient(left, 1).sub(coefficient(right, 1))
  const b = coefficient(right, 0).sub(coefficient(left, 0))
  const x = b.div(a) ?? Fraction.zero
  const lhs = speakPoly([Fraction.zero, a], variable)
  const sentences = [
    `Get the ${variable} terms on one side and the numbers on the other, which gives ${lhs} equals ${speak(b)}.`,
    ...(a.equals(Fraction.one) ? [] : [`Divide both sides by ${speak(a)}, so ${variable} equals ${speak(x)}.`]),
    `Check: with ${variable} equal to ${speak(x)}, both sides come to ${speak(polyAt(left, x))}.`
  ]
  return solved(sentences, `${variable} = ${x}`)
}

const solveQuadratic = (p: Poly, variable: string, restated: boolean, question: Question): MathAnswer => {
  const speak = speakerFor(question)
  const a = coefficient(p, 2)
  const b = coefficient(p, 1)
  const c = coefficient(p, 0)
  const bSquared = b.mul(b)
  const fourAC = Fraction.int(4).mul(a).mul(c)
  const discriminant = bSquared.sub(fourAC)
  const twoA = a.mul(Fraction.int(2))
  const sentences = [
    ...(restated ? [`First move everything to one side: ${speakPoly(p, variable)} equals 0.`] : []),
    `This is a quadratic equation, with a equal to ${speak(a)}, b equal to ${speak(b)} and c equal to ${speak(c)}.`,
    `The discriminant is b squared minus 4 a c, which is ${speak(bSquared)} ${
      fourAC.sign < 0 ? `plus ${speak(fourAC.neg())}` : `minus ${speak(fourAC)}`
    }, so ${speak(discriminant)}.`
  ]
  if (discriminant.sign < 0) {
    return solved([...sentences, "The discriminant is negative, so there are no real solutions."], "no real solutions")
  }
  const negB = b.neg()
  if (discriminant.isZero) {
    const x = negB.div(twoA) ?? Fraction.zero
    return solved([
      ...sentences,
      "The discriminant is 0, so there is exactly one solution.",
      `${capitalize(variable)} equals negative b over 2 a, which is ${speak(x)}.`
    ], `${variable} = ${x}`)
  }
  const root = discriminant.root(2n)
  if (root !== undefined) {
    const x1 = negB.add(root).div(twoA) ?? Fraction.zero
    const x2 = negB.sub(root).div(twoA) ?? Fraction.zero
    return solved([
      ...sentences,
      `The square root of ${speak(discriminant)} is ${speak(root)}.`,
      `By the quadratic formula, ${variable} equals ${speak(negB)} plus or minus ${speak(root)}, all over ${speak(twoA)}.`,
      `So ${variable} equals ${speak(x1)} or ${variable} equals ${speak(x2)}.`
    ], `${variable} = ${x1} or ${variable} = ${x2}`)
  }
  const sqrt = Math.sqrt(discriminant.toNumber())
  const x1 = (negB.toNumber() + sqrt) / twoA.toNumber()
  const x2 = (negB.toNumber() - sqrt) / twoA.toNumber()
  return solved([
    ...sentences,
    `The square root of ${speak(discriminant)} is not a whole number, it is about ${speakApprox(sqrt)}.`,
    `By the quadratic formula, ${variable} equals ${speak(negB)} plus or minus the square root of ${speak(discriminant)}, all over ${speak(twoA)}.`,
    `So ${variable} is about ${speakApprox(x1)} or about ${speakApprox(x2)}.`
  ], `${variable} = (${negB} ± √${discriminant})/${twoA} ≈ ${showApprox(x1)} or ${showApprox(x2)}`)
}

const algebra = (question: Question, equation: Equation): MathAnswer | undefined => {
  const variables = new Set([...variablesOf(equation.left), ...(equation.right === undefined ? [] : variablesOf(equation.right))])
  const [variable] = variables
  if (variable === undefined || variables.size > 1) return undefined
  const left = toPoly(equation.left, variable)
  const right = equation.right === undefined ? [Fraction.zero] : toPoly(equation.right, variable)
  if (left === undefined || right === undefined) return undefined
  const speak = speakerFor(question)

  if (/\bderivative\b|\bdifferentiate\b/.test(question.text) && equation.right === undefined) {
    const derivative = left.slice(1).map((c, i) => c.mul(Fraction.int(i + 1)))
    const terms = degreeOf(left) > 1 && left.filter((c) => !c.isZero).length > 1
    return solved([
      `Use the power rule: bring the power down in front, then lower the power by one.`,
      ...(terms ? ["Do it one term at a time, and a plain number on its own disappears."] : []),
      `So the derivative of ${speakPoly(left, variable)} is ${speakPoly(derivative.length === 0 ? [Fraction.zero] : derivative, variable)}.`
    ], `d/d${variable} (${showPoly(left, variable)}) = ${showPoly(derivative.length === 0 ? [Fraction.zero] : derivative, variable)}`)
  }

  const solving = equation.right !== undefined || /\bsolve\b|\broots?\b/.test(question.text)
  if (!solving) {
    if (countOperations(equation.left) === 0) return undefined
    return solved([
      `Multiply out any brackets, then collect the like terms.`,
      `${capitalize(speakExpr(equation.left, speak))} becomes ${speakPoly(left, variable)}.`
    ], `${showExpr(equation.left)} = ${showPoly(left, variable)}`)
  }

  const p = addPoly(left, scalePoly(right, Fraction.int(-1)))
  switch (degreeOf(p)) {
    case 0:
      return coefficient(p, 0).isZero
        ? solved([`Both sides are always equal, so every value of ${variable} works.`], `all ${variable}`)
        : solved([`The two sides can never be equal, so there is no solution.`], "no solution")
    case 1:
      return solveLinear(left, right, variable, question)
    case 2: {
      const standard = degreeOf(right) === 0 && coefficient(right, 0).isZero
      return solveQuadratic(p, variable, !standard, question)
    }
    default:
      return undefined
  }
}

const arithmetic = (question: Question, equation: Equation): MathAnswer | undefined => {
  if (variablesOf(equation.left).size > 0 || (equation.right !== undefined && variablesOf(equation.right).size > 0)) return undefined
  const operations = countOperations(equation.left) + (equation.right === undefined ? 0 : countOperations(equation.right))
  if (operations === 0) return undefined
  const speak = speakerFor(question)
  const left = evaluateWithSteps(equation.left, speak)
  if (left._tag === "MathFailure") return solved([left.reason], "undefined")
  if (equation.right !== undefined) {
    const right = evaluateWithSteps(equation.right, speak)
    if (right._tag === "MathFailure") return solved([right.reason], "undefined")
    const same = left.value._tag === "Exact" && right.value._tag === "Exact"
      ? left.value.value.equals(right.value.value)
      : Math.abs(toNumber(left.value) - toNumber(right.value)) < 1e-9
    return solved([
      ...left.steps,
      ...right.steps,
      same
        ? `Both sides come to ${speakValue(left.value, speak)}, so yes, that is true.`
        : `The left side ${isValue(left.value, speak)} but the right side ${isValue(right.value, speak)}, so they are not equal.`
    ], same ? "true" : "false")
  }
  const steps = left.steps.length > 8
    ? [...left.steps.slice(0, 3), "After a few more steps like these, we get the final answer."]
    : left.steps
  const written = `${showExpr(equation.left)} ${
    left.value._tag === "Exact" ? `= ${showExact(left.value.value, question)}` : `≈ ${showApprox(left.value.value)}`
  }`
  // one operation explains itself; repeating it as a summary would only echo it
  if (steps.length === 1) return solved(steps, written)
  return solved([
    ...(mixesPrecedence(equation.left) ? ["Work out brackets and powers first, then times and divide, then plus and minus."] : []),
    ...steps,
    `So ${speakExpr(equation.left, speak)} ${isValue(left.value, speak)}.`
  ], written)
}

const showExact = (value: Fraction, question: Question): string =>
  question.decimals ? value.toTerminatingDecimal(6) ?? value.toString() : value.toString()

/** arithmetic expressions, long division, equations and simplifying, from the best parse in the text */
const expressions = (question: Question): MathAnswer | undefined => {
  for (const equation of parseMath(question.symbolic)) {
    const answer = (equation.right === undefined ? longDivision(question, equation.left) : undefined) ??
      algebra(question, equation) ??
      arithmetic(question, equation)
    if (answer !== undefined) return answer
  }
  return undefined
}

const SOLVERS: ReadonlyArray<(question: Question) => MathAnswer | undefined> = [
  percentOf,
  whatPercent,
  conversions,
  shapes,
  statistics,
  prime,
  speedDistance,
  expressions
]

export const solveMath = (question: string): MathAnswer => {
  const prepared = prepare(question)
  for (const solve of SOLVERS) {
    const answer = solve(prepared)
    if (answer !== undefined) return answer
  }
  return { _tag: "Unsupported" }
}

export const MATH_CAPABILITIES =
  "Offline, I can do arithmetic, percentages, fractions and decimals, powers and square roots, linear and quadratic equations, area and perimeter of basic shapes, mean and median, and long division."
