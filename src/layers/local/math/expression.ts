import { Fraction } from "./Fraction.ts"

/**
 * Arithmetic and one-variable polynomial expressions, parsed by hand (no eval): precedence,
 * brackets, implicit multiplication ("2x", "3(x + 2)"), powers, roots, percentages and "of".
 */

type BinaryOp = "+" | "-" | "*" | "/" | "of"

export type Expr =
  /** `text` is how the student wrote it ("0.25", "3/8"), kept for the written answer */
  | { readonly _tag: "Num"; readonly value: Fraction; readonly text: string }
  | { readonly _tag: "Var"; readonly name: string }
  | { readonly _tag: "Pi" }
  | { readonly _tag: "Neg"; readonly expr: Expr }
  | { readonly _tag: "Bin"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly _tag: "Pow"; readonly base: Expr; readonly exponent: Expr }
  | { readonly _tag: "Root"; readonly degree: 2 | 3; readonly expr: Expr }
  | { readonly _tag: "Percent"; readonly expr: Expr }
  | { readonly _tag: "Group"; readonly expr: Expr }

export interface Equation {
  readonly left: Expr
  readonly right: Expr | undefined
}

type Token =
  | { readonly kind: "num"; readonly value: Fraction; readonly text: string }
  | { readonly kind: "word"; readonly text: string }
  | { readonly kind: "op"; readonly text: string }

/** Words a student uses for operators, turned into symbols before tokenising. Order matters. */
const OPERATOR_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bto the power of\b|\braised to the power of\b|\braised to\b/g, " ^ "],
  [/\bto the (\d+)(?:st|nd|rd|th)(?: power)?\b/g, " ^ $1 "],
  [/\bsquared\b/g, " ^ 2 "],
  [/\bcubed\b/g, " ^ 3 "],
  [/\bcube root of\b|\bcube root\b/g, " cbrt "],
  [/\bsquare root of\b|\bsquare root\b|\broot of\b/g, " sqrt "],
  [/\bmultiplied by\b|\btimes\b/g, " * "],
  [/\bdivided by\b|\bdivide by\b/g, " / "],
  [/(?<=[\d)]\s*)\bover\b(?=\s*[\d(])/g, " / "],
  [/\bplus\b/g, " + "],
  [/\bminus\b|\bnegative\b/g, " - "],
  [/\bis equal to\b|\bequal to\b|\bequals\b|\bequal\b/g, " = "],
  [/\bopen (?:brackets?|parenthesis|parentheses|paren)\b/g, " ( "],
  [/\bclose (?:brackets?|parenthesis|parentheses|paren)\b/g, " ) "],
  [/\bper ?cent\b/g, " % "],
  [/[[{]/g, "("],
  [/[\]}]/g, ")"]
]

export const symbolize = (prepared: string): string =>
  OPERATOR_WORDS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), prepared)

/**
 * "3/8" written without spaces is one number, a fraction, when it is a proper one; "156/12" and
 * "156 / 12" stay divisions so the solver can show the division.
 */
const fractionLiteral = (raw: string): Fraction | undefined => {
  const [top, bottom] = raw.split("/").map((part) => Fraction.parseDecimal(part))
  if (top === undefined || bottom === undefined || top.compare(bottom) >= 0) return undefined
  return top.div(bottom)
}

const tokenize = (text: string): ReadonlyArray<Token> =>
  (text.match(/\d+\/\d+(?![\d.])|\d+(?:\.\d+)?|\.\d+|[a-z]+|[-+*/^()=%,]|\S/g) ?? []).flatMap((raw): ReadonlyArray<Token> => {
    if (raw.includes("/") && raw.length > 1) {
      const literal = fractionLiteral(raw)
      if (literal !== undefined) return [{ kind: "num", value: literal, text: raw }]
      const [top = "", bottom = ""] = raw.split("/")
      return [...tokenize(top), { kind: "op", text: "/" }, ...tokenize(bottom)]
    }
    const value = /^[\d.]/.test(raw) ? Fraction.parseDecimal(raw) : undefined
    if (value !== undefined) return [{ kind: "num", value, text: raw }]
    if (/^[a-z]+$/.test(raw)) return [{ kind: "word", text: raw }]
    return [{ kind: "op", text: raw }]
  })

const FUNCTION_WORDS = new Set(["sqrt", "cbrt", "pi", "of"])
/** single letters that are usually English words, not unknowns, unless written next to a number ("2a") */
const ARTICLE_LETTERS = new Set(["a", "i"])

const isMathToken = (token: Token): boolean =>
  token.kind === "num" || (token.kind === "op" && token.text !== ",") ||
  (token.kind === "word" && (FUNCTION_WORDS.has(token.text) || token.text.length === 1))

/**
 * The runs of mathematical tokens inside a sentence ("what is 25 % of 80" → "25 % of 80"),
 * most operators first, so the caller can try the most promising one.
 */
const mathRuns = (tokens: ReadonlyArray<Token>): ReadonlyArray<ReadonlyArray<Token>> => {
  const runs: Array<Array<Token>> = []
  let current: Array<Token> = []
  tokens.forEach((token, index) => {
    const previous = tokens[index - 1]
    const article = token.kind === "word" && ARTICLE_LETTERS.has(token.text) && previous?.kind !== "num"
    if (isMathToken(token) && !article) {
      current.push(token)
    } else {
      if (current.length > 0) runs.push(current)
      current = []
    }
  })
  if (current.length > 0) runs.push(current)
  const trimmed = runs.map(trimRun).filter((run) => run.length > 0)
  const operators = (run: ReadonlyArray<Token>) => run.filter((t) => t.kind === "op" || t.kind === "word").length
  return trimmed.toSorted((a, b) => operators(b) - operators(a))
}

/** "of" or a dangling operator at either end is sentence glue, not part of the expression */
const trimRun = (run: ReadonlyArray<Token>): ReadonlyArray<Token> => {
  let start = 0
  let end = run.length
  const dangling = (token: Token | undefined, atStart: boolean) =>
    token !== undefined && ((token.kind === "word" && token.text === "of") ||
      (token.kind === "op" && (atStart ? /^[*/^=%)]$/ : /^[-+*/^=(]$/).test(token.text)))
  while (start < end && dangling(run[start], true)) start++
  while (end > start && dangling(run[end - 1], false)) end--
  return run.slice(start, end)
}

class Parser {
  private index = 0
  private readonly tokens: ReadonlyArray<Token>
  constructor(tokens: ReadonlyArray<Token>) {
    this.tokens = tokens
  }

  parseEquation(): Equation | undefined {
    const left = this.expression()
    if (left === undefined) return undefined
    if (this.peekOp("=")) {
      this.index++
      const right = this.expression()
      return right !== undefined && this.done() ? { left, right } : undefined
    }
    return this.done() ? { left, right: undefined } : undefined
  }

  private done(): boolean {
    return this.index === this.tokens.length
  }
  private peek(): Token | undefined {
    return this.tokens[this.index]
  }
  private peekOp(text: string): boolean {
    const token = this.peek()
    return token?.kind === "op" && token.text === text
  }
  private peekWord(text: string): boolean {
    const token = this.peek()
    return token?.kind === "word" && token.text === text
  }

  private expression(): Expr | undefined {
    let left = this.term()
    while (left !== undefined && (this.peekOp("+") || this.peekOp("-"))) {
      const op = this.peekOp("+") ? "+" : "-"
      this.index++
      const right = this.term()
      left = right === undefined ? undefined : { _tag: "Bin", op, left, right }
    }
    return left
  }

  private term(): Expr | undefined {
    let left = this.unary()
    while (left !== undefined) {
      let op: BinaryOp
      if (this.peekOp("*") || this.peekOp("/")) {
        op = this.peekOp("*") ? "*" : "/"
        this.index++
      } else if (this.peekWord("of")) {
        op = "of"
        this.index++
      } else if (this.startsPrimary()) {
        op = "*" // implicit: 2x, 3(x + 2), x(x - 1)
      } else {
        break
      }
      const right = this.unary()
      left = right === undefined ? undefined : { _tag: "Bin", op, left, right }
    }
    return left
  }

  private startsPrimary(): boolean {
    const token = this.peek()
    if (token === undefined) return false
    if (token.kind === "num") return true
    if (token.kind === "op") return token.text === "("
    return token.text !== "of"
  }

  private unary(): Expr | undefined {
    if (this.peekOp("-")) {
      this.index++
      const expr = this.unary()
      return expr === undefined ? undefined : { _tag: "Neg", expr }
    }
    if (this.peekOp("+")) {
      this.index++
      return this.unary()
    }
    return this.power()
  }

  private power(): Expr | undefined {
    const base = this.postfix()
    if (base === undefined || !this.peekOp("^")) return base
    this.index++
    const exponent = this.unary() // right-associative, allows 2^-1
    return exponent === undefined ? undefined : { _tag: "Pow", base, exponent }
  }

  private postfix(): Expr | undefined {
    let expr = this.primary()
    while (expr !== undefined && this.peekOp("%")) {
      this.index++
      expr = { _tag: "Percent", expr }
    }
    return expr
  }

  private primary(): Expr | undefined {
    const token = this.peek()
    if (token === undefined) return undefined
    this.index++
    if (token.kind === "num") return { _tag: "Num", value: token.value, text: token.text }
    if (token.kind === "op") {
      if (token.text !== "(") return undefined
      const inner = this.expression()
      if (inner === undefined || !this.peekOp(")")) return undefined
      this.index++
      return { _tag: "Group", expr: inner }
    }
    if (token.text === "pi") return { _tag: "Pi" }
    if (token.text === "sqrt" || token.text === "cbrt") {
      const expr = this.unary()
      return expr === undefined ? undefined : { _tag: "Root", degree: token.text === "sqrt" ? 2 : 3, expr }
    }
    return token.text.length === 1 ? { _tag: "Var", name: token.text } : undefined
  }
}

/** every parseable equation or expression in the text, most operators first */
export const parseMath = (symbolized: string): ReadonlyArray<Equation> =>
  mathRuns(tokenize(symbolized)).flatMap((run) => {
    const parsed = new Parser(run).parseEquation()
    return parsed === undefined ? [] : [parsed]
  })

export const variablesOf = (expr: Expr): ReadonlySet<string> => {
  switch (expr._tag) {
    case "Num":
    case "Pi":
      return new Set()
    case "Var":
      return new Set([expr.name])
    case "Neg":
    case "Root":
    case "Percent":
    case "Group":
      return variablesOf(expr.expr)
    case "Bin":
      return new Set([...variablesOf(expr.left), ...variablesOf(expr.right)])
    case "Pow":
      return new Set([...variablesOf(expr.base), ...variablesOf(expr.exponent)])
  }
}

/** true when the order of operations matters: brackets, or plus/minus over times/divide/powers */
export const mixesPrecedence = (expr: Expr): boolean => {
  const multiplicative = (e: Expr): boolean => {
    switch (e._tag) {
      case "Num":
      case "Var":
      case "Pi":
        return false
      case "Group":
        return true
      case "Neg":
      case "Percent":
        return multiplicative(e.expr)
      case "Root":
      case "Pow":
        return true
      case "Bin":
        return e.op === "+" || e.op === "-" ? multiplicative(e.left) || multiplicative(e.right) : true
    }
  }
  const additive = (e: Expr): boolean =>
    e._tag === "Bin" ? e.op === "+" || e.op === "-" || additive(e.left) || additive(e.right)
    : e._tag === "Neg" || e._tag === "Percent" || e._tag === "Root" || e._tag === "Group" ? additive(e.expr)
    : e._tag === "Pow" ? additive(e.base) || additive(e.exponent)
    : false
  return additive(expr) && multiplicative(expr)
}

export const countOperations = (expr: Expr): number => {
  switch (expr._tag) {
    case "Num":
    case "Pi":
    case "Var":
      return 0
    case "Group":
      return countOperations(expr.expr)
    case "Neg":
      return expr.expr._tag === "Num" ? 0 : countOperations(expr.expr)
    case "Root":
    case "Percent":
      return 1 + countOperations(expr.expr)
    case "Bin":
      return 1 + countOperations(expr.left) + countOperations(expr.right)
    case "Pow":
      return 1 + countOperations(expr.base) + countOperations(expr.exponent)
  }
}

const BINARY_WORDS: Readonly<Record<BinaryOp, string>> = {
  "+": "plus",
  "-": "minus",
  "*": "times",
  "/": "divided by",
  of: "of"
}

/** the expression read aloud: "2 x squared plus 5 x minus 3" */
export const speakExpr = (expr: Expr, speakNumber: (value: Fraction) => string): string => {
  const go = (e: Expr): string => {
    switch (e._tag) {
      case "Num":
        return speakNumber(e.value)
      case "Var":
        return e.name
      case "Pi":
        return "pi"
      case "Neg":
        return `negative ${go(e.expr)}`
      case "Group":
        return `(${go(e.expr)})`
      case "Percent":
        return `${go(e.expr)} percent`
      case "Root":
        return `the ${e.degree === 2 ? "square" : "cube"} root of ${go(e.expr)}`
      case "Pow": {
        const exponent = e.exponent._tag === "Num" ? e.exponent.value.toString() : undefined
        const base = go(e.base)
        if (exponent === "2") return `${base} squared`
        if (exponent === "3") return `${base} cubed`
        return `${base} to the power of ${go(e.exponent)}`
      }
      case "Bin":
        if (e.op === "*" && isCoefficientTimesVariable(e)) return `${go(e.left)} ${go(e.right)}`
        return `${go(e.left)} ${BINARY_WORDS[e.op]} ${go(e.right)}`
    }
  }
  return go(expr)
}

/** the expression in symbols for the written answer: "2x^2 + 5x - 3" */
export const showExpr = (expr: Expr): string => {
  switch (expr._tag) {
    case "Num":
      return expr.text
    case "Var":
      return expr.name
    case "Pi":
      return "π"
    case "Neg":
      return `-${showExpr(expr.expr)}`
    case "Group":
      return `(${showExpr(expr.expr)})`
    case "Percent":
      return `${showExpr(expr.expr)}%`
    case "Root":
      return `${expr.degree === 2 ? "√" : "∛"}${showExpr(expr.expr)}`
    case "Pow":
      return `${showExpr(expr.base)}^${showExpr(expr.exponent)}`
    case "Bin":
      if (expr.op === "*" && isCoefficientTimesVariable(expr)) return `${showExpr(expr.left)}${showExpr(expr.right)}`
      return `${showExpr(expr.left)} ${expr.op === "*" ? "×" : expr.op === "/" ? "÷" : expr.op} ${showExpr(expr.right)}`
  }
}

const isCoefficientTimesVariable = (e: { readonly left: Expr; readonly right: Expr }): boolean =>
  e.left._tag === "Num" && (e.right._tag === "Var" || (e.right._tag === "Pow" && e.right.base._tag === "Var"))
