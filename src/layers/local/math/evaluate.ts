import type { Expr } from "./expression.ts"
import { Fraction, gcd } from "./Fraction.ts"
import { capitalize } from "../text.ts"
import { speakApprox, speakDecimal, speakExact, speakOver } from "./speak.ts"

/** A number is exact until a root or π makes it irrational. */
export type Value =
  | { readonly _tag: "Exact"; readonly value: Fraction }
  | { readonly _tag: "Approx"; readonly value: number }

/** Something the student asked that has no (real) answer; `reason` is the sentence to say. */
export interface MathFailure {
  readonly _tag: "MathFailure"
  readonly reason: string
}

export const exact = (value: Fraction): Value => ({ _tag: "Exact", value })
const approx = (value: number): Value => ({ _tag: "Approx", value })
const failure = (reason: string): MathFailure => ({ _tag: "MathFailure", reason })

export const toNumber = (value: Value): number => (value._tag === "Exact" ? value.value.toNumber() : value.value)

/** how exact numbers are read: fractions ("one half") or decimals ("0.5") depending on the question */
export type Speaker = (value: Fraction) => string

export const speakValue = (value: Value, speak: Speaker = speakExact): string =>
  value._tag === "Exact" ? speak(value.value) : speakApprox(value.value)

/** "is 12" or "is about 7.07" */
export const isValue = (value: Value, speak: Speaker = speakExact): string =>
  `${value._tag === "Approx" ? "is about" : "is"} ${speakValue(value, speak)}`

/** bigints grow without bound; past this many bits we switch to floating point */
const MAX_EXACT_BITS = 2_000

const bitLength = (n: bigint): number => (n < 0n ? -n : n).toString(2).length

const power = (base: Value, exponent: Value): Value | MathFailure => {
  if (base._tag === "Exact" && exponent._tag === "Exact") {
    const b = base.value
    const e = exponent.value
    if (e.isInteger && (bitLength(b.num) + bitLength(b.den)) * Math.abs(Number(e.num)) <= MAX_EXACT_BITS) {
      const result = b.pow(e.num)
      return result === undefined ? failure("Zero to a negative power is undefined, because it means dividing by zero.") : exact(result)
    }
    // 8^(2/3): an exact root of an exact power when both exist
    if (!e.isInteger && e.den <= 12n && Math.abs(Number(e.num)) <= 12) {
      const raised = b.pow(e.num)
      const rooted = raised?.root(e.den)
      if (rooted !== undefined) return exact(rooted)
    }
  }
  const result = Math.pow(toNumber(base), toNumber(exponent))
  if (Number.isNaN(result)) return failure("That power of a negative number is not a real number.")
  if (!Number.isFinite(result)) return failure("That number is too large for me to work out.")
  return approx(result)
}

const root = (degree: 2 | 3, value: Value): Value | MathFailure => {
  const name = degree === 2 ? "square" : "cube"
  if (degree === 2 && toNumber(value) < 0) {
    return failure("The square root of a negative number is not a real number, so there is no real answer.")
  }
  if (value._tag === "Exact") {
    const rooted = value.value.root(BigInt(degree))
    if (rooted !== undefined) return exact(rooted)
  }
  const x = toNumber(value)
  return Number.isFinite(x) ? approx(degree === 2 ? Math.sqrt(x) : Math.cbrt(x)) : failure(`That ${name} root is too large for me.`)
}

const combine = (op: "+" | "-" | "*" | "/", a: Value, b: Value): Value | MathFailure => {
  if (a._tag === "Exact" && b._tag === "Exact") {
    switch (op) {
      case "+":
        return exact(a.value.add(b.value))
      case "-":
        return exact(a.value.sub(b.value))
      case "*":
        return exact(a.value.mul(b.value))
      case "/": {
        const q = a.value.div(b.value)
        return q === undefined ? failure("Dividing by zero is undefined, so that has no answer.") : exact(q)
      }
    }
  }
  const x = toNumber(a)
  const y = toNumber(b)
  if (op === "/" && y === 0) return failure("Dividing by zero is undefined, so that has no answer.")
  return approx(op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : x / y)
}

const OP_WORDS = { "+": "plus", "-": "minus", "*": "times", "/": "divided by" } as const

/**
 * Evaluates in the order a student would by hand (brackets, powers, times and divide, plus and
 * minus), writing one short sentence per operation.
 */
export const evaluateWithSteps = (
  expr: Expr,
  speak: Speaker
): { readonly _tag: "Evaluated"; readonly value: Value; readonly steps: ReadonlyArray<string> } | MathFailure => {
  const steps: Array<string> = []
  const say = (value: Value) => speakValue(value, speak)
  const is = (value: Value) => isValue(value, speak)
  const go = (e: Expr): Value | MathFailure => {
    switch (e._tag) {
      case "Num":
        return exact(e.value)
      case "Pi":
        return approx(Math.PI)
      case "Var":
        return failure(`I can't work out a number for ${e.name} without an equation.`)
      case "Group":
        return go(e.expr)
      case "Neg": {
        const inner = go(e.expr)
        if (inner._tag === "MathFailure") return inner
        return inner._tag === "Exact" ? exact(inner.value.neg()) : approx(-inner.value)
      }
      case "Percent": {
        const inner = go(e.expr)
        if (inner._tag === "MathFailure") return inner
        const result = combine("/", inner, exact(Fraction.int(100)))
        if (result._tag === "MathFailure") return result
        steps.push(`${say(inner)} percent means ${say(inner)} out of 100, which is ${
          result._tag === "Exact" ? speakDecimal(result.value) : speakApprox(result.value)
        }.`)
        return result
      }
      case "Root": {
        const inner = go(e.expr)
        if (inner._tag === "MathFailure") return inner
        const result = root(e.degree, inner)
        if (result._tag === "MathFailure") return result
        const name = e.degree === 2 ? "square" : "cube"
        const check = result._tag === "Exact"
          ? `, because ${Array.from({ length: e.degree }, () => say(result)).join(" times ")} is ${say(inner)}`
          : ""
        steps.push(`The ${name} root of ${say(inner)} ${is(result)}${check}.`)
        return result
      }
      case "Pow": {
        const base = go(e.base)
        if (base._tag === "MathFailure") return base
        const exponent = go(e.exponent)
        if (exponent._tag === "MathFailure") return exponent
        const result = power(base, exponent)
        if (result._tag === "MathFailure") return result
        const n = exponent._tag === "Exact" && exponent.value.isInteger ? Number(exponent.value.num) : undefined
        const said = n === 2 ? `${say(base)} squared` : n === 3 ? `${say(base)} cubed` : `${say(base)} to the power of ${say(exponent)}`
        const spelled = n !== undefined && n >= 2 && n <= 4
          ? `, because ${Array.from({ length: n }, () => say(base)).join(" times ")} is ${say(result)}`
          : ""
        steps.push(`${capitalize(said)} ${is(result)}${spelled}.`)
        return result
      }
      case "Bin": {
        const left = go(e.left)
        if (left._tag === "MathFailure") return left
        const right = go(e.right)
        if (right._tag === "MathFailure") return right
        const op = e.op === "of" ? "*" : e.op
        const result = combine(op, left, right)
        if (result._tag === "MathFailure") return result
        const common = (op === "+" || op === "-") ? commonDenominatorStep(op, left, right, result) : undefined
        if (common !== undefined && speak === speakExact) {
          steps.push(common)
          return result
        }
        steps.push(
          e.op === "of"
            ? `${capitalize(say(left))} of ${say(right)} means ${say(left)} times ${say(right)}, which ${is(result)}.`
            : `${capitalize(say(left))} ${OP_WORDS[op]} ${say(right)} ${is(result)}.`
        )
        return result
      }
    }
  }
  const value = go(expr)
  return value._tag === "MathFailure" ? value : { _tag: "Evaluated", value, steps }
}

/** "To add one half and one third, write both over 6: 3 sixths plus 2 sixths is 5 sixths." */
const commonDenominatorStep = (op: "+" | "-", left: Value, right: Value, result: Value): string | undefined => {
  if (left._tag !== "Exact" || right._tag !== "Exact" || result._tag !== "Exact") return undefined
  const a = left.value
  const b = right.value
  if (a.isInteger || b.isInteger || a.den === b.den || a.sign < 0 || b.sign < 0) return undefined
  const denominator = (a.den * b.den) / gcd(a.den, b.den)
  const task = op === "+" ? `add ${speakExact(a)} and ${speakExact(b)}` : `take ${speakExact(b)} from ${speakExact(a)}`
  return `To ${task}, write both over ${denominator}: ${
    speakOver(a.num * (denominator / a.den), denominator)
  } ${op === "+" ? "plus" : "minus"} ${speakOver(b.num * (denominator / b.den), denominator)} is ${speakExact(result.value)}.`
}


/** Coefficients of a polynomial in one variable, index = degree. */
export type Poly = ReadonlyArray<Fraction>

const MAX_DEGREE = 6

const trim = (p: ReadonlyArray<Fraction>): Poly => {
  const out = [...p]
  while (out.length > 1 && out[out.length - 1]?.isZero === true) out.pop()
  return out
}
export const coefficient = (p: Poly, degree: number): Fraction => p[degree] ?? Fraction.zero
export const degreeOf = (p: Poly): number => trim(p).length - 1

export const addPoly = (a: Poly, b: Poly): Poly =>
  trim(Array.from({ length: Math.max(a.length, b.length) }, (_, i) => coefficient(a, i).add(coefficient(b, i))))
export const scalePoly = (p: Poly, k: Fraction): Poly => trim(p.map((c) => c.mul(k)))
const mulPoly = (a: Poly, b: Poly): Poly => {
  const out = Array.from({ length: a.length + b.length - 1 }, () => Fraction.zero)
  a.forEach((x, i) => b.forEach((y, j) => (out[i + j] = coefficient(out, i + j).add(x.mul(y)))))
  return trim(out)
}

/**
 * The expression as a polynomial in `variable`, or undefined when it is not one (π, roots of
 * unknowns, dividing by an unknown, degree above six).
 */
export const toPoly = (expr: Expr, variable: string): Poly | undefined => {
  const go = (e: Expr): Poly | undefined => {
    switch (e._tag) {
      case "Num":
        return [e.value]
      case "Var":
        return e.name === variable ? [Fraction.zero, Fraction.one] : undefined
      case "Pi":
        return undefined
      case "Group":
        return go(e.expr)
      case "Neg": {
        const inner = go(e.expr)
        return inner === undefined ? undefined : scalePoly(inner, Fraction.int(-1))
      }
      case "Percent": {
        const inner = go(e.expr)
        return inner === undefined ? undefined : scalePoly(inner, Fraction.of(1n, 100n))
      }
      case "Root": {
        const inner = go(e.expr)
        const constant = inner !== undefined && degreeOf(inner) === 0 ? coefficient(inner, 0).root(BigInt(e.degree)) : undefined
        return constant === undefined ? undefined : [constant]
      }
      case "Pow": {
        const base = go(e.base)
        const exponent = go(e.exponent)
        if (base === undefined || exponent === undefined || degreeOf(exponent) !== 0) return undefined
        const n = coefficient(exponent, 0)
        if (!n.isInteger || n.num < 0n || Number(n.num) * degreeOf(base) > MAX_DEGREE) return undefined
        if (degreeOf(base) === 0) {
          const raised = coefficient(base, 0).pow(n.num)
          return raised === undefined ? undefined : [raised]
        }
        let result: Poly = [Fraction.one]
        for (let i = 0n; i < n.num; i++) result = mulPoly(result, base)
        return result
      }
      case "Bin": {
        const left = go(e.left)
        const right = go(e.right)
        if (left === undefined || right === undefined) return undefined
        switch (e.op) {
          case "+":
            return addPoly(left, right)
          case "-":
            return addPoly(left, scalePoly(right, Fraction.int(-1)))
          case "*":
          case "of": {
            const product = mulPoly(left, right)
            return degreeOf(product) > MAX_DEGREE ? undefined : product
          }
          case "/": {
            if (degreeOf(right) !== 0) return undefined
            const inverse = Fraction.one.div(coefficient(right, 0))
            return inverse === undefined ? undefined : scalePoly(left, inverse)
          }
        }
      }
    }
  }
  return go(expr)
}

/** "2 x squared plus 5 x minus 3", highest power first, as a student would write it */
export const speakPoly = (p: Poly, variable: string): string => renderPoly(p, variable, {
  power: (d) => (d === 1 ? variable : d === 2 ? `${variable} squared` : d === 3 ? `${variable} cubed` : `${variable} to the power of ${d}`),
  number: speakExact,
  plus: " plus ",
  minus: " minus ",
  negative: "negative ",
  join: " "
})

/** "2x^2 + 5x - 3" */
export const showPoly = (p: Poly, variable: string): string => renderPoly(p, variable, {
  power: (d) => (d === 1 ? variable : `${variable}^${d}`),
  number: (f) => f.toString(),
  plus: " + ",
  minus: " - ",
  negative: "-",
  join: ""
})

const renderPoly = (
  p: Poly,
  variable: string,
  style: {
    readonly power: (degree: number) => string
    readonly number: (value: Fraction) => string
    readonly plus: string
    readonly minus: string
    readonly negative: string
    readonly join: string
  }
): string => {
  const terms = trim(p).map((c, degree) => ({ c, degree })).filter(({ c }) => !c.isZero).reverse()
  if (terms.length === 0) return "0"
  return terms.map(({ c, degree }, index) => {
    const magnitude = c.sign < 0 ? c.neg() : c
    const body = degree === 0
      ? style.number(magnitude)
      : magnitude.equals(Fraction.one)
      ? style.power(degree)
      : `${style.number(magnitude)}${style.join}${style.power(degree)}`
    if (index === 0) return c.sign < 0 ? `${style.negative}${body}` : body
    return `${c.sign < 0 ? style.minus : style.plus}${body}`
  }).join("")
}
