import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { testGuardrail, type GuardrailScript } from "../../src/layers/test/guardrail.ts"
import { testSafety } from "../../src/layers/test/safety.ts"
import { type ScriptedDelta, scriptedFailure, type SpecialistsScript, testSpecialists } from "../../src/layers/test/specialists.ts"
import { knownPcm, type SpeechScript, testSpeech } from "../../src/layers/test/speech.ts"
import { REWRITE_FAILED_SENTENCE, WITHHELD_SENTENCE } from "../../src/services/Guardrail.ts"
import type { Classification, ConversationTurn } from "../../src/services/Specialists.ts"
import { answerTurn, CLARIFY_SENTENCE, ESCALATION_SENTENCE, type TurnOptions } from "../../src/tutor/answerTurn.ts"
import type { TurnEvent } from "../../src/tutor/events.ts"
import { SAFETY_REPLY } from "../../src/tutor/safety.ts"

const layers = (specialists: SpecialistsScript = {}, guardrail: GuardrailScript = {}, speech: SpeechScript = {}) =>
  Layer.mergeAll(testSpecialists(specialists), testGuardrail(guardrail), testSpeech(speech), testSafety())

const run = (question: string, options: TurnOptions = {}, history: ReadonlyArray<ConversationTurn> = []) =>
  Stream.runCollect(answerTurn({ sessionId: "s-1", studentText: question, history }, options))

const ofType = <T extends TurnEvent["type"]>(events: ReadonlyArray<TurnEvent>, type: T) =>
  events.filter((event): event is Extract<TurnEvent, { type: T }> => event.type === type)

const sentences = (events: ReadonlyArray<TurnEvent>) => ofType(events, "sentence").map((event) => event.text)

const tenSentences = Array.from({ length: 10 }, (_, i) => ({ text: `Sentence number ${i + 1} is here. ` }))

/** Runs the turn on the TestClock (10 ms steps, up to 1 s), noting when each event arrived. */
const timed = (question: string, options: TurnOptions = {}) =>
  Effect.gen(function*() {
    const arrived: Array<{ readonly event: TurnEvent; readonly at: number }> = []
    const fiber = yield* answerTurn({ sessionId: "s", studentText: question, history: [] }, options).pipe(
      Stream.runForEach((event) => Effect.map(Clock.currentTimeMillis, (at) => void arrived.push({ event, at }))),
      Effect.forkChild
    )
    for (let step = 0; step < 100 && fiber.pollUnsafe() === undefined; step++) yield* TestClock.adjust("10 millis")
    yield* Fiber.join(fiber)
    return arrived
  })

describe("answerTurn", () => {
  it.effect("classifies, streams safe sentences in order, speaks each one and reports done", () =>
    Effect.gen(function*() {
      const events = yield* run("What is 25% of 80?", { voice: "alloy" })
      const classified = ofType(events, "classified")[0]
      assert.deepInclude(classified, { subject: "math", confidence: 0.95, fallback: false })
      expect(sentences(events)).toEqual(["25% of 80 is 20.", "That's because 0.25 times 80 equals 20."])
      const audio = ofType(events, "audio")
      expect(audio.map((chunk) => chunk.sentenceIndex)).toEqual([0, 1])
      expect(audio[0]?.pcm).toEqual(knownPcm("25% of 80 is 20."))
      // audio of a sentence follows that sentence and precedes the next one
      expect(events.map((event) => event.type)).toEqual(["classified", "sentence", "audio", "sentence", "audio", "done"])
      const done = ofType(events, "done")[0]
      assert.deepInclude(done, {
        outcome: "answered",
        subject: "math",
        text: "25% of 80 is 20. That's because 0.25 times 80 equals 20.",
        rawText: "25% of 80 is 20. That's because 0.25 times 80 equals 20.",
        sentenceCount: 2,
        flaggedCount: 0
      })
    }).pipe(Effect.provide(layers())))

  it.effect("without a voice it emits text only", () =>
    Effect.gen(function*() {
      const events = yield* run("What is 25% of 80?")
      expect(ofType(events, "audio")).toEqual([])
      expect(sentences(events)).toHaveLength(2)
    }).pipe(Effect.provide(layers())))

  it.effect("moderates sentences ahead of the consumer: the 10th is released long before 10 × 100 ms", () =>
    Effect.gen(function*() {
      const released: Array<{ readonly text: string; readonly at: number }> = []
      const fiber = yield* answerTurn({ sessionId: "s", studentText: "q", history: [] }).pipe(
        Stream.runForEach((event) =>
          event.type === "sentence"
            ? Effect.map(Clock.currentTimeMillis, (at) => {
              released.push({ text: event.text, at })
            })
            : Effect.void
        ),
        Effect.forkChild
      )
      for (let step = 0; step < 150 && fiber.pollUnsafe() === undefined; step++) yield* TestClock.adjust("10 millis")
      yield* Fiber.join(fiber)
      expect(released.map((sentence) => sentence.text)).toEqual(tenSentences.map((delta) => delta.text.trim()))
      const first = released[0]?.at ?? Number.NaN
      const last = released[9]?.at ?? Number.NaN
      // sequential moderation would need 900 ms more; running ahead it is a few batches
      expect(last - first).toBeLessThanOrEqual(300)
    }).pipe(Effect.provide(layers({ answer: () => tenSentences }, { moderationDelay: "100 millis" }))))

  it.effect("fails closed: an unverifiable sentence is withheld, recorded, and a run of them is announced once", () =>
    Effect.gen(function*() {
      const events = yield* run("q")
      expect(sentences(events)).toEqual(["First is fine.", WITHHELD_SENTENCE, "Last is fine."])
      const audits = ofType(events, "guardrail")
      expect(audits.map((audit) => [audit.action, audit.original])).toEqual([
        ["withheld", "Second cannot be checked."],
        ["withheld", "Third cannot be checked."]
      ])
      assert.deepInclude(ofType(events, "done")[0], { flaggedCount: 2, sentenceCount: 3 })
    }).pipe(Effect.provide(layers(
      {
        answer: () => [{
          text: "First is fine. Second cannot be checked. Third cannot be checked. Last is fine."
        }]
      },
      { failModeration: (text) => text.includes("cannot be checked") }
    ))))

  it.effect("rewrites a flagged sentence and falls back to the apology when the rewrite fails", () =>
    Effect.gen(function*() {
      const events = yield* run("q")
      expect(sentences(events)).toEqual(["A calm and safe version.", "Fine sentence.", REWRITE_FAILED_SENTENCE])
      const audits = ofType(events, "guardrail")
      expect(audits.map((audit) => audit.action)).toEqual(["rewritten", "apology"])
      expect(audits[0]?.categories).toEqual(["violence"])
      expect(audits[0]?.original).toBe("Something violent.")
    }).pipe(Effect.provide(layers(
      { answer: () => [{ text: "Something violent. Fine sentence. Something hateful." }] },
      {
        flag: (text) => text.includes("violent") ? ["violence"] : text.includes("hateful") ? ["hate"] : undefined,
        rewrite: (text) => text.includes("violent") ? "A calm and safe version." : scriptedFailure("Guardrail.rewrite")
      }
    ))))

  it.effect("falls back to english/0.5 when the classifier fails, and says so", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const events = yield* run("Help me improve this sentence").pipe(
        Effect.provide(layers({ classify: () => scriptedFailure("Specialists.classify", "timeout"), onEvent: (e) => calls.push(e) }))
      )
      const classified = ofType(events, "classified")[0]
      assert.deepInclude(classified, { subject: "english", confidence: 0.5, fallback: true })
      expect(classified?.fallbackReason).toContain("timeout")
      expect(calls).toContain("answer:english:Help me improve this sentence")
      assert.deepInclude(ofType(events, "done")[0], { outcome: "answered", subject: "english" })
    }))

  it.effect("asks which subject is meant when the classifier is unsure, without calling a specialist", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const events = yield* run("Tell me about it").pipe(
        Effect.provide(layers({ classify: () => ({ subject: "history", confidence: 0.4, raw: "history 0.4" }), onEvent: (e) => calls.push(e) }))
      )
      expect(sentences(events)).toEqual([CLARIFY_SENTENCE])
      assert.deepInclude(ofType(events, "done")[0], { outcome: "clarify" })
      expect(calls.filter((call) => call.startsWith("answer:"))).toEqual([])
    }))

  it.effect("escalates with the fixed sentence and an escalation event", () =>
    Effect.gen(function*() {
      const events = yield* run("I need a real teacher").pipe(
        Effect.provide(layers({ classify: () => ({ subject: "escalate", confidence: 0.9, raw: "escalate" }) }))
      )
      expect(sentences(events)).toEqual([ESCALATION_SENTENCE])
      assert.deepInclude(ofType(events, "escalation")[0], { trigger: "classifier" })
      assert.deepInclude(ofType(events, "done")[0], { outcome: "escalated", subject: "escalate" })
    }))

  it.effect("a flagged student message escalates: no specialist answers it and the classifier is cut off", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const fiber = yield* run("I want to hurt someone").pipe(
        Effect.provide(layers(
          { classifyDelay: "150 millis", onEvent: (e) => calls.push(e) },
          { moderationDelay: "80 millis", flag: (text) => text.includes("hurt") ? ["violence"] : undefined }
        )),
        Effect.forkChild
      )
      yield* TestClock.adjust("500 millis")
      const events = yield* Fiber.join(fiber)
      expect(calls.filter((call) => call.startsWith("answer:"))).toEqual([])
      const escalation = ofType(events, "escalation")[0]
      assert.deepInclude(escalation, { trigger: "flagged_input" })
      expect(escalation?.reason).toContain("violence")
      // moderation's "violence" is the taxonomy's weapons_violence: its calm refusal, then the teacher
      expect(escalation?.finding).toMatchObject({ category: "weapons_violence", severity: "urgent" })
      expect(escalation?.finding.evidence).toContainEqual({ check: "moderation", label: "violence", score: 0.9 })
      expect(sentences(events)).toEqual([SAFETY_REPLY.weapons_violence, ESCALATION_SENTENCE])
      // decided when moderation answered (80 ms), without waiting for the classifier (150 ms)
      expect(ofType(events, "classified")[0]?.latencyMs).toBe(80)
    }))

  it.effect("checks the student's message while classifying: both waits overlap", () =>
    Effect.gen(function*() {
      const fiber = yield* run("What is 25% of 80?").pipe(
        Effect.provide(layers({ classifyDelay: "150 millis" }, { moderationDelay: "80 millis" })),
        Effect.forkChild
      )
      yield* TestClock.adjust("2 seconds")
      const events = yield* Fiber.join(fiber)
      expect(ofType(events, "classified")[0]?.latencyMs).toBe(150)
    }))

  it.effect("gives the classifier and specialist the session's recent turns", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const history = Array.from({ length: 10 }, (_, i): ConversationTurn => ({ role: i % 2 === 0 ? "student" : "tutor", text: `turn ${i}` }))
      yield* run("and what about 3 times 4?", {}, history).pipe(
        Effect.provide(layers({
          classify: (_, recent) => {
            seen.push(recent.length)
            return { subject: "math", confidence: 0.9, raw: "math" }
          },
          answer: (_, __, recent) => {
            seen.push(recent.length)
            return [{ text: `Last turn seen: ${recent.at(-1)?.text}.` }]
          }
        }))
      )
      expect(seen).toEqual([6, 6])
    }))

  it.effect("a specialist failing mid-answer keeps what was said and ends with a failed event", () =>
    Effect.gen(function*() {
      const events = yield* run("q")
      expect(sentences(events)).toEqual(["Part one is fine."])
      const failed = ofType(events, "failed")[0]
      assert.deepInclude(failed, { stage: "specialist" })
      expect(failed?.message).toContain("stream_cut")
      expect(ofType(events, "done")).toEqual([])
    }).pipe(Effect.provide(layers({
      answer: () => [{ text: "Part one is fine. Part two" }, scriptedFailure("Specialists.answer", "stream_cut")]
    }))))

  it.effect("barge-in: interrupting the turn interrupts the specialist stream and moderation at once", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const fiber = yield* run("q").pipe(
        Effect.provide(layers(
          {
            answer: () => [{ text: "First sentence here. Second one. " }, { text: "Never arrives.", delay: "10 seconds" }],
            onEvent: (e) => calls.push(e)
          },
          { moderationDelay: "1 second", onEvent: (e) => calls.push(e) }
        )),
        Effect.forkChild
      )
      // input moderation takes the first second; at 1.5 s the answer's sentences are being moderated
      yield* TestClock.adjust("1500 millis")
      expect(calls).toContain("moderate:start:First sentence here.")
      yield* Fiber.interrupt(fiber)
      expect(calls).toContain("answer:ended-early")
      expect(calls).toContain("moderate:interrupted:First sentence here.")
      expect(calls.filter((call) => call.startsWith("moderate:end"))).toEqual(["moderate:end:q"])
    }))
})

describe("answerTurn, speculative routing", () => {
  const slowAnswer = (subject: string): ReadonlyArray<ScriptedDelta> => [{ text: `The ${subject} answer starts here. `, delay: "300 millis" }, { text: "It ends here." }]
  const routedTo = (subject: "math" | "history" | "escalate", confidence = 0.95) => () => ({ subject, confidence, raw: subject })
  /** The lexicon guesses math; the classifier answers `classify` 150 ms later; every specialist call is logged. */
  const guessingMath = (classify: () => Classification, calls: Array<string>, guardrail?: GuardrailScript) =>
    layers({
      guess: () => "math",
      classify,
      classifyDelay: "150 millis",
      answer: (subject) => slowAnswer(subject),
      onEvent: (event) => calls.push(event)
    }, guardrail)

  it.effect("a guess the classifier confirms answers from the specialist already running: the classifier is off the critical path", () => {
    const calls: Array<string> = []
    return Effect.gen(function*() {
      const arrived = yield* timed("What is 25% of 80?")
      const first = arrived.find(({ event }) => event.type === "sentence")
      expect(first?.event).toMatchObject({ text: "The math answer starts here." })
      // 300 ms of first token, not 150 ms of classifier + 300 ms
      expect(first?.at).toBeLessThan(400)
      expect(calls.filter((call) => call.startsWith("answer:math"))).toHaveLength(1)
      expect(calls).not.toContain("answer:ended-early")
      assert.deepInclude(ofType(arrived.map(({ event }) => event), "done")[0], {
        rawText: "The math answer starts here. It ends here.",
        sentenceCount: 2
      })
    }).pipe(Effect.provide(guessingMath(routedTo("math"), calls)))
  })

  it.effect("a guess the classifier overrules is interrupted, and the classifier's subject answers", () => {
    const calls: Array<string> = []
    return Effect.gen(function*() {
      const events = (yield* timed("Who was Napoleon?")).map(({ event }) => event)
      expect(sentences(events)).toEqual(["The history answer starts here.", "It ends here."])
      expect(calls).toEqual([
        "answer:math:Who was Napoleon?",
        "classify:Who was Napoleon?",
        "answer:ended-early",
        "answer:history:Who was Napoleon?",
        "answer:completed"
      ])
      expect(ofType(events, "done")[0]?.rawText).toBe("The history answer starts here. It ends here.")
    }).pipe(Effect.provide(guessingMath(routedTo("history"), calls)))
  })

  it.effect("an escalation, an unsure classifier or a flagged message discard the guess before a word of it is used", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<{ classify: () => Classification; guardrail: GuardrailScript; said: ReadonlyArray<string> }> = [
        { classify: routedTo("escalate"), guardrail: {}, said: [ESCALATION_SENTENCE] },
        { classify: routedTo("math", 0.3), guardrail: {}, said: [CLARIFY_SENTENCE] },
        {
          classify: routedTo("math"),
          guardrail: { flag: (text: string) => text.includes("hurt") ? ["violence"] : undefined, moderationDelay: "80 millis" },
          said: [SAFETY_REPLY.weapons_violence, ESCALATION_SENTENCE]
        }
      ]
      for (const { classify, guardrail, said } of cases) {
        const calls: Array<string> = []
        const events = (yield* timed("I want to hurt someone with math").pipe(Effect.provide(guessingMath(classify, calls, guardrail))))
          .map(({ event }) => event)
        expect(sentences(events)).toEqual(said)
        expect(calls).toContain("answer:ended-early")
        expect(calls).not.toContain("answer:completed")
      }
    }))
})

describe("answerTurn, speculative speech", () => {
  const speechLog = () => {
    const spoken: Array<string> = []
    return { spoken, script: { firstByteDelay: "120 millis", onEvent: (event: string) => void spoken.push(event) } satisfies SpeechScript }
  }
  const calmly: GuardrailScript = {
    moderationDelay: "80 millis",
    flag: (text) => text.includes("violent") ? ["violence"] : undefined,
    rewrite: () => "A calm version."
  }
  const spokenTurn = Effect.gen(function*() {
    const arrived = yield* timed("q", { voice: "alloy" })
    return arrived.flatMap(({ at, event }) => event.type === "audio" ? [{ at, pcm: event.pcm }] : [])
  })

  it.effect("the first sentence is spoken while it is moderated: first audio after the longer of the two waits", () => {
    const { script, spoken } = speechLog()
    return Effect.gen(function*() {
      const audio = yield* spokenTurn
      // the question's 80 ms check, then the sentence's 80 ms check and 120 ms of speech overlap: 200, not 280
      expect(audio[0]?.at).toBe(200)
      expect(audio.map(({ pcm }) => pcm)).toEqual([knownPcm("Fine first sentence."), knownPcm("Second one.")])
      // later sentences are only synthesised once they passed
      expect(spoken).toEqual(["speak:Fine first sentence.", "speak:Second one."])
    }).pipe(Effect.provide(layers({ answer: () => [{ text: "Fine first sentence. Second one." }] }, calmly, script)))
  })

  it.effect("a rewritten first sentence's early speech is dropped and the rewrite is spoken instead", () => {
    const { script, spoken } = speechLog()
    return Effect.gen(function*() {
      const audio = yield* spokenTurn
      expect(audio.map(({ pcm }) => pcm)).toEqual([knownPcm("A calm version."), knownPcm("Fine second sentence.")])
      expect(spoken).toEqual([
        "speak:Something violent.",
        "speak-ended-early:Something violent.",
        "speak:A calm version.",
        "speak:Fine second sentence."
      ])
    }).pipe(Effect.provide(layers({ answer: () => [{ text: "Something violent. Fine second sentence." }] }, calmly, script)))
  })
})
