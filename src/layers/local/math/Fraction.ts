const abs = (n: bigint): bigint => (n < 0n ? -n : n)

export const gcd = (a: bigint, b: bigint): bigint => {
  let x = abs(a)
  let y = abs(b)
  while (y !== 0n) [x, y] = [y, x % y]
  return x === 0n ? 1n : x
}

/**
 * Exact rationals over bigint. The solver must say "x equals one half", not "0.49999999", so every
 * value the student typed stays exact until a square root or π forces an approximation.
 */
export class Fraction {
  readonly num: bigint
  readonly den: bigint

  private constructor(num: bigint, den: bigint) {
    this.num = num
    this.den = den
  }

  static of(num: bigint, den: bigint = 1n): Fraction {
    if (den === 0n) throw new RangeError("Fraction with a zero denominator")
    const sign = den < 0n ? -1n : 1n
    const divisor = gcd(abs(num), abs(den))
    return new Fraction((sign * num) / divisor, (sign * den) / divisor)
  }

  static int(n: number | bigint): Fraction {
    return Fraction.of(BigInt(n))
  }

  /** "0.375" → 3/8, "12" → 12; undefined for anything that is not a plain decimal numeral. */
  static parseDecimal(text: string): Fraction | undefined {
    const match = /^(-?)(\d*)(?:\.(\d+))?$/.exec(text)
    if (match === null) return undefined
    const [, sign = "", whole = "", decimals = ""] = match
    if (whole === "" && decimals === "") return undefined
    const digits = BigInt(`${whole}${decimals}` || "0")
    const value = Fraction.of(digits, 10n ** BigInt(decimals.length))
    return sign === "-" ? value.neg() : value
  }

  static readonly zero = Fraction.of(0n)
  static readonly one = Fraction.of(1n)

  add(that: Fraction): Fraction {
    return Fraction.of(this.num * that.den + that.num * this.den, this.den * that.den)
  }
  sub(that: Fraction): Fraction {
    return this.add(that.neg())
  }
  mul(that: Fraction): Fraction {
    return Fraction.of(this.num * that.num, this.den * that.den)
  }
  /** undefined when dividing by zero, so callers have to say something honest about it */
  div(that: Fraction): Fraction | undefined {
    return that.num === 0n ? undefined : Fraction.of(this.num * that.den, this.den * that.num)
  }
  neg(): Fraction {
    return new Fraction(-this.num, this.den)
  }
  /** integer powers only; undefined for 0 to a negative power */
  pow(exponent: bigint): Fraction | undefined {
    if (exponent >= 0n) return Fraction.of(this.num ** exponent, this.den ** exponent)
    if (this.num === 0n) return undefined
    return Fraction.of(this.den ** -exponent, this.num ** -exponent)
  }
  /** the exact root when numerator and denominator are perfect powers, else undefined */
  root(degree: bigint): Fraction | undefined {
    if (this.num < 0n && degree % 2n === 0n) return undefined
    const n = integerRoot(abs(this.num), degree)
    const d = integerRoot(this.den, degree)
    if (n === undefined || d === undefined) return undefined
    return Fraction.of(this.num < 0n ? -n : n, d)
  }

  get isInteger(): boolean {
    return this.den === 1n
  }
  get isZero(): boolean {
    return this.num === 0n
  }
  get sign(): -1 | 0 | 1 {
    return this.num === 0n ? 0 : this.num < 0n ? -1 : 1
  }
  equals(that: Fraction): boolean {
    return this.num === that.num && this.den === that.den
  }
  compare(that: Fraction): number {
    const diff = this.num * that.den - that.num * this.den
    return diff === 0n ? 0 : diff < 0n ? -1 : 1
  }
  toNumber(): number {
    return Number(this.num) / Number(this.den)
  }
  /** digits of the decimal expansion when it terminates within `maxDecimals`, e.g. 3/8 → "0.375" */
  toTerminatingDecimal(maxDecimals = 6): string | undefined {
    let den = this.den
    let twos = 0
    let fives = 0
    while (den % 2n === 0n) {
      den /= 2n
      twos++
    }
    while (den % 5n === 0n) {
      den /= 5n
      fives++
    }
    if (den !== 1n) return undefined
    const places = Math.max(twos, fives)
    if (places > maxDecimals) return undefined
    if (places === 0) return this.num.toString()
    const scaled = abs(this.num) * 10n ** BigInt(places) / this.den
    const digits = scaled.toString().padStart(places + 1, "0")
    const text = `${digits.slice(0, -places)}.${digits.slice(-places)}`
    return this.num < 0n ? `-${text}` : text
  }
  /** "3/8", "-3", "7/2" */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`
  }
}

/** floor of the `degree`-th root by Newton's method; exact result only */
const integerRoot = (n: bigint, degree: bigint): bigint | undefined => {
  if (n < 2n) return n
  // 2^ceil(bits/degree) is always at or above the root, so Newton's steps only move down
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / Number(degree)))
  for (;;) {
    const next = ((degree - 1n) * x + n / x ** (degree - 1n)) / degree
    if (next >= x) break
    x = next
  }
  while (x ** degree > n) x -= 1n
  while ((x + 1n) ** degree <= n) x += 1n
  return x ** degree === n ? x : undefined
}

/** prime factors in ascending order, e.g. 91 → [7, 13]; trial division is plenty for spoken numbers */
export const primeFactors = (n: bigint): ReadonlyArray<bigint> => {
  const factors: Array<bigint> = []
  let rest = n
  for (let p = 2n; p * p <= rest; p += p === 2n ? 1n : 2n) {
    while (rest % p === 0n) {
      factors.push(p)
      rest /= p
    }
  }
  if (rest > 1n) factors.push(rest)
  return factors
}
