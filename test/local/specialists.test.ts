import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Exit, Schema, Stream } from "effect"
import { answerFor } from "../../src/layers/local/answers.ts"
import { checkGrammar } from "../../src/layers/local/english/grammar.ts"
import { KnowledgeFile } from "../../src/layers/local/knowledge/KnowledgeBase.ts"
import { SafetyModelLive } from "../../src/layers/local/safety/SafetyLocal.ts"
import { SpecialistsLocal, toChunks } from "../../src/layers/local/SpecialistsLocal.ts"
import { type AnswerSubject, type ConversationTurn, Specialists } from "../../src/services/Specialists.ts"
import { routingExamples } from "./routing.ts"

const LIVE_MODEL = "needs the live tutor model"
/** how the history and English fallbacks start */
const NO_NOTES = /^I don't have (?:notes on that|that in my offline notes)/

const answerChunks = (subject: AnswerSubject, question: string, history: ReadonlyArray<ConversationTurn> = []) =>
  Specialists.use((specialists) => Stream.runCollect(specialists.answer(subject, question, history)))

const answerText = (subject: AnswerSubject, question: string, history: ReadonlyArray<ConversationTurn> = []) =>
  answerFor(subject, question, history).join(" ")

layer(SafetyModelLive)("SpecialistsLocal", (it) => {
  it.effect("classifies through the service", () =>
    Effect.gen(function*() {
      const result = yield* Specialists.use((specialists) => specialists.classify("What is 25% of 80?", []))
      expect(result.subject).toBe("math")
      expect(result.confidence).toBeGreaterThan(0.8)
    }).pipe(Effect.provide(SpecialistsLocal)))

  it.effect("streams the answer a few words at a time", () =>
    Effect.gen(function*() {
      const chunks = yield* answerChunks("math", "What is 25% of 80?")
      expect(chunks.length).toBeGreaterThan(3)
      chunks.forEach((chunk) => expect(chunk.trim().split(/\s+/).length).toBeLessThanOrEqual(4))
      expect(chunks.join("")).toBe(answerText("math", "What is 25% of 80?"))
      expect(chunks.join("")).toContain("So 25 percent of 80 is 20.")
    }).pipe(Effect.provide(SpecialistsLocal)))

  it.effect("answers the suggested questions", () =>
    Effect.gen(function*() {
      const text = (subject: AnswerSubject, question: string) => Effect.map(answerChunks(subject, question), (c) => c.join(""))
      expect(yield* text("math", "Solve 2x² + 5x - 3 = 0")).toContain("x equals one half or x equals negative 3")
      expect(yield* text("history", "Why did World War I start?")).toContain("Franz Ferdinand")
      expect(yield* text("history", "What was the Roman Empire?")).toContain("Augustus")
      expect(yield* text("english", "Help me improve this sentence")).toContain("precise words")
      expect(yield* text("english", "Explain what a metaphor is")).toContain("the classroom was a zoo")
    }).pipe(Effect.provide(SpecialistsLocal)))

  it("cuts chunks that join back to the text", () => {
    const text = "One two three four five six seven eight nine."
    expect(toChunks(text)).toEqual(["One two three four ", "five six seven eight ", "nine."])
    expect(toChunks("")).toEqual([])
  })
})

describe("built-in notes", () => {
  it.each(routingExamples.filter((example) => example.subject === "history" || example.subject === "english"))(
    "answers the $subject example: $text",
    ({ subject, text }) => {
      const sentences = answerFor(subject === "history" ? "history" : "english", text, [])
      expect(sentences[0]).not.toMatch(NO_NOTES)
      expect(sentences.length).toBeGreaterThanOrEqual(2)
      sentences.forEach((sentence) => expect(sentence).toMatch(/[.!?]$/))
    }
  )

  it.each([
    ["history", "Why did Rome fall?", "Odoacer"],
    ["history", "Who was Napoleon?", "Waterloo"],
    ["history", "Tell me about Julius Caesar", "Rubicon"],
    ["history", "What is the U.S. Constitution?", "three branches"],
    ["history", "What happened in World War II?", "Pearl Harbor"],
    ["english", "What's the difference between a metaphor and a simile?", "like or as"],
    ["english", "Their, there or they're?", "they are"],
    ["english", "Should I write your or you're?", "you are"],
    ["english", "When do I use its or it's?", "it is"],
    ["english", "How do I use commas?", "comma splice"],
    ["english", "When should I use a semicolon?", "closely related"],
    ["english", "What does the word ubiquitous mean?", "found everywhere"],
    ["english", "What's the past tense of swim?", "The past tense of swim is swam"]
  ] as const)("%s: %s", (subject, question, expected) => {
    expect(answerText(subject, question)).toContain(expected)
  })

  it("rejects a data file whose sentences lack a final period", () => {
    const entry = { id: "x", title: "x", aliases: ["x"], keywords: [], answer: ["One.", "Two.", "no period"] }
    expect(Exit.isFailure(Schema.decodeUnknownExit(KnowledgeFile)({ entries: [entry] }))).toBe(true)
  })

  it("says honestly when a question needs the live model", () => {
    expect(answerText("history", "Who was Genghis Khan?")).toContain(LIVE_MODEL)
    expect(answerText("english", "Write me a sonnet about autumn")).toContain(LIVE_MODEL)
    expect(answerText("english", "What does the word sesquipedalian mean?")).toContain(LIVE_MODEL)
  })

  it("admits the limits of its notes on a follow-up instead of repeating itself", () => {
    const history: ReadonlyArray<ConversationTurn> = [
      { role: "student", text: "Why did World War I start?", subject: "history" },
      { role: "tutor", text: "World War I began in 1914.", subject: "history" }
    ]
    expect(answerText("history", "and who won it?", history)).toContain("My offline notes on why World War I started only go as far")
  })
})

describe("grammar helper", () => {
  it.each([
    ["me and him goes to school", "He and I go to school."],
    ["Me and my friend goes to the park", "My friend and I go to the park."],
    ["I could of won", "I could have won."],
    ["their is a problem", "There is a problem."],
    ["there going home", "They're going home."],
    ["they're house is big", "Their house is big."],
    ["your welcome", "You're welcome."],
    ["its raining", "It's raining."],
    ["the dog wagged it's tail", "The dog wagged its tail."],
    ["she go to school every day", "She goes to school every day."],
    ["he don't like it", "He doesn't like it."],
    ["we was there", "We were there."],
    ["the weather will effect our trip", "The weather will affect our trip."],
    ["I don't have no money", "I don't have any money."]
  ])("%s → %s", (sentence, corrected) => {
    const check = checkGrammar(sentence)
    expect(check.corrected).toBe(corrected)
    expect(check.explanations.length).toBeGreaterThan(0)
  })

  it("leaves correct sentences alone", () => {
    for (const sentence of ["Does he go to school?", "He and I are late.", "The cat sat on the mat."]) {
      expect(checkGrammar(sentence).explanations).toEqual([])
    }
  })

  it("explains the fix in the English answer", () => {
    const answer = answerFor("english", "Help me improve this sentence: me and him goes to the store", [])
    expect(answer[0]).toBe("Here is a corrected version: He and I go to the store.")
    expect(answer.join(" ")).toContain("subject pronouns")
    expect(answer.join(" ")).toContain("the verb is go, not goes")
    expect(answerFor("english", "Is it affect or effect in this sentence: the weather will effect our trip", [])[0])
      .toBe("Here is a corrected version: The weather will affect our trip.")
    expect(answerFor("english", "Can you check this: The cat sat on the mat.", []).join(" ")).toContain("found none")
  })
})
