import { describe, expect, it } from "@effect/vitest"
import { classifyLocally } from "../../src/layers/local/classifier/Classifier.ts"
import type { ConversationTurn, Subject } from "../../src/services/Specialists.ts"
import { isHeldOut, type RoutingExample, routingExamples } from "./routing.ts"

const accuracy = (examples: ReadonlyArray<RoutingExample>) => {
  const rows = examples.map((example) => ({ ...example, got: classifyLocally(example.text, []) }))
  const correct = rows.filter((row) => row.got.subject === row.subject).length
  return { rows, correct, total: rows.length, ratio: correct / rows.length }
}

const report = (name: string, result: ReturnType<typeof accuracy>) => {
  const lines = result.rows.map((row) =>
    `${row.got.subject === row.subject ? "  " : "✗ "}${row.subject.padEnd(9)}→ ${row.got.subject.padEnd(9)} ${
      row.got.confidence.toFixed(2)
    }  ${row.text}`
  )
  console.log(`${name}: ${result.correct}/${result.total} = ${(result.ratio * 100).toFixed(1)} %\n${lines.join("\n")}`)
}

describe("local classifier on the routing examples", () => {
  const heldOut = accuracy(routingExamples.filter((_, index) => isHeldOut(index)))
  const tuning = accuracy(routingExamples.filter((_, index) => !isHeldOut(index)))

  it("is at least 90 % accurate on the held-out quarter", () => {
    report("held-out accuracy", heldOut)
    report("tuning accuracy", tuning)
    expect(heldOut.total).toBe(16)
    expect(heldOut.ratio).toBeGreaterThanOrEqual(0.9)
  })

  it("recalls at least 95 % of the escalate examples", () => {
    const escalate = accuracy(routingExamples.filter((example) => example.subject === "escalate"))
    console.log(`escalate recall: ${escalate.correct}/${escalate.total}`)
    expect(escalate.ratio).toBeGreaterThanOrEqual(0.95)
  })

  it("generalises to questions that are not in the file", () => {
    const fresh: ReadonlyArray<RoutingExample> = [
      { text: "What is 7 times 8?", subject: "math" },
      { text: "How do I find the volume of a cube?", subject: "math" },
      { text: "Can you explain negative numbers?", subject: "math" },
      { text: "How do I solve 4x minus 7 equals 9?", subject: "math" },
      { text: "When did the Vikings raid England?", subject: "history" },
      { text: "What started the American Revolution?", subject: "history" },
      { text: "Who was Queen Victoria?", subject: "history" },
      { text: "Why was the Great Wall of China built?", subject: "history" },
      { text: "How do I use a colon?", subject: "english" },
      { text: "What is a synonym for happy?", subject: "english" },
      { text: "Is this sentence correct: she don't like apples", subject: "english" },
      { text: "What's the plural of mouse?", subject: "english" },
      { text: "Someone keeps threatening me on the bus", subject: "escalate" },
      { text: "Tell my teacher I need help", subject: "escalate" },
      { text: "How do I steal money from my mom?", subject: "escalate" },
      { text: "Which crypto should I buy?", subject: "escalate" }
    ]
    const result = accuracy(fresh)
    report("fresh questions", result)
    expect(result.ratio).toBeGreaterThanOrEqual(0.9)
  })
})

describe("confidence calibration", () => {
  it.each([
    "What is 25% of 80?",
    "Solve 2x² + 5x - 3 = 0",
    "Why did World War I start?",
    "What was the Roman Empire?",
    "Explain what a metaphor is",
    "When should I use a semicolon?",
    "I want to talk to a real teacher"
  ])("a clear question scores above 0.8: %s", (text) => {
    expect(classifyLocally(text, []).confidence).toBeGreaterThan(0.8)
  })

  it.each([
    "hello",
    "Tell me more",
    "Can you write an essay about the history of math?",
    "Tell me about the history of the English language"
  ])("an ambiguous one scores below 0.6: %s", (text) => {
    expect(classifyLocally(text, []).confidence).toBeLessThan(0.6)
  })

  it("keeps the evidence for audit", () => {
    expect(classifyLocally("What is 7 times 8?", []).raw).toMatch(/^local:lexicon math=\d/)
  })
})

describe("recent turns as a prior", () => {
  const turn = (role: ConversationTurn["role"], text: string, subject?: Subject): ConversationTurn =>
    subject === undefined ? { role, text } : { role, text, subject }
  const afterMath = [turn("student", "What is 2 times 3?", "math"), turn("tutor", "2 times 3 is 6.", "math")]
  const afterHistory = [turn("student", "Why did World War I start?", "history"), turn("tutor", "World War I began in 1914.", "history")]

  it("keeps a math follow-up in math", () => {
    const result = classifyLocally("and what about 3 times 4?", afterMath)
    expect(result.subject).toBe("math")
    expect(result.confidence).toBeGreaterThan(0.8)
  })

  it("routes a follow-up with no subject words by the conversation", () => {
    expect(classifyLocally("and who won?", []).confidence).toBeLessThan(0.6)
    const result = classifyLocally("and who won?", afterHistory)
    expect(result.subject).toBe("history")
    expect(result.confidence).toBeGreaterThanOrEqual(0.6)
    expect(classifyLocally("why?", afterMath).subject).toBe("math")
  })

  it("classifies an unlabelled earlier student turn itself", () => {
    const result = classifyLocally("can you give me another example?", [turn("student", "Explain a metaphor")])
    expect(result.subject).toBe("english")
    expect(result.confidence).toBeGreaterThanOrEqual(0.6)
  })

  it("does not override clear evidence of another subject", () => {
    expect(classifyLocally("Who was Napoleon?", afterMath).subject).toBe("history")
    expect(classifyLocally("I feel really sad and I don't want to be alive anymore", afterMath).subject).toBe("escalate")
  })

  it("never inherits an escalation", () => {
    const afterEscalation = [turn("student", "I want to talk to a real teacher", "escalate")]
    expect(classifyLocally("ok", afterEscalation).subject).not.toBe("escalate")
  })
})
