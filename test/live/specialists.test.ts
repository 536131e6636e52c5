import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Stream } from "effect"
import { SAFETY_CATEGORIES } from "../../src/domain/safety.ts"
import { SpecialistsLive } from "../../src/layers/live/specialists.ts"
import type { ProviderError } from "../../src/services/ProviderError.ts"
import { type AnswerSubject, type ConversationTurn, Specialists } from "../../src/services/Specialists.ts"
import { Faults, STUB_KEYS } from "../stub/providerStub.ts"
import { AnthropicRequest, ChatRequest } from "../stub/requests.ts"
import { expectReason, interruptMidRequest, liveAgainstStub, sentBody } from "./harness.ts"

const setup = (env: Readonly<Record<string, string>> = {}) => liveAgainstStub(Specialists, SpecialistsLive, env)

const history: ReadonlyArray<ConversationTurn> = [
  { role: "tutor", text: "Hi! What would you like to learn?" },
  { role: "student", text: "What is a fraction?", subject: "math" },
  { role: "tutor", text: "A fraction is a part of a whole.", subject: "math" }
]

/** Runs the stream, keeping what arrived before a failure. */
const collect = (stream: Stream.Stream<string, ProviderError>) =>
  Effect.gen(function*() {
    const received: Array<string> = []
    const exit = yield* Effect.exit(Stream.runForEach(stream, (delta) => Effect.sync(() => received.push(delta))))
    return { received, exit }
  })

describe("SpecialistsLive.classify", () => {
  it.live("asks the classifier model with the recent turns and parses label and confidence", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ ANTHROPIC_CLASSIFIER_MODEL: "classifier-test" })
      stub.configure("anthropicMessages", { reply: () => "math 0.92" })

      const result = yield* service.classify("and what about 3/4?", history)
      assert.deepStrictEqual(result, { subject: "math", confidence: 0.92, raw: "math 0.92" })

      const sent = yield* sentBody(stub, "anthropicMessages", AnthropicRequest)
      assert.strictEqual(sent.model, "classifier-test")
      assert.notStrictEqual(sent.stream, true)
      assert.include(sent.system, "escalate")
      assert.lengthOf(sent.messages, 1)
      const prompt = sent.messages[0]?.content ?? ""
      assert.include(prompt, "Student: What is a fraction?")
      assert.include(prompt, "Tutor: A fraction is a part of a whole.")
      assert.match(prompt, /latest message:\nand what about 3\/4\?$/)
      assert.strictEqual(stub.requests("anthropicMessages")[0]?.headers["authorization"], `Bearer ${STUB_KEYS.anthropic}`)
    }))

  it.live("carries the safety taxonomy in its prompt and returns the category of an escalation", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("anthropicMessages", { reply: () => "escalate abuse_neglect 0.95" })
      const result = yield* service.classify("my dad hits me", [])
      assert.deepStrictEqual(result, {
        subject: "escalate",
        confidence: 0.95,
        raw: "escalate abuse_neglect 0.95",
        category: "abuse_neglect"
      })
      const sent = yield* sentBody(stub, "anthropicMessages", AnthropicRequest)
      for (const category of SAFETY_CATEGORIES) assert.include(sent.system, category)
    }))

  it.live("routes a label with punctuation to that label, not to english", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("anthropicMessages", { reply: () => "History." })
      const result = yield* service.classify("who was Napoleon?", [])
      assert.strictEqual(result.subject, "history")
      assert.strictEqual(result.confidence, 1)
      const sent = yield* sentBody(stub, "anthropicMessages", AnthropicRequest)
      assert.strictEqual(sent.messages[0]?.content, "Student's latest message:\nwho was Napoleon?")
    }))

  it.live("an answer naming no subject is invalid_response", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("anthropicMessages", { reply: () => "I cannot help with that" })
      expectReason(yield* Effect.flip(service.classify("hmm", [])), "invalid_response")
    }))

  it.live("retries a 429; maps 500 and malformed payloads", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("anthropicMessages", { reply: () => "english", failFirst: { count: 1, fault: Faults.rateLimited() } })
      assert.strictEqual((yield* service.classify("what is a verb?", [])).subject, "english")
      assert.strictEqual(stub.requests("anthropicMessages").length, 2)

      stub.configure("anthropicMessages", { fault: Faults.serverError() })
      assert.strictEqual(expectReason(yield* Effect.flip(service.classify("x", [])), "server_error").status, 500)
      stub.configure("anthropicMessages", { fault: Faults.unexpectedShape })
      expectReason(yield* Effect.flip(service.classify("x", [])), "invalid_response")
      stub.configure("anthropicMessages", { fault: Faults.invalidJson })
      expectReason(yield* Effect.flip(service.classify("x", [])), "invalid_response")
    }))

  it.live("has its own, shorter deadline", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup({ CLASSIFIER_TIMEOUT_MS: "200", PROVIDER_TIMEOUT_MS: "20000" })
      stub.configure("anthropicMessages", { fault: Faults.hang })
      const started = Date.now()
      expectReason(yield* Effect.flip(service.classify("x", [])), "timeout")
      assert.isBelow(Date.now() - started, 2_000)
    }))

  it.live("interrupting the caller aborts the HTTP request", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      stub.configure("anthropicMessages", { fault: Faults.hang })
      assert.strictEqual(yield* interruptMidRequest(stub, "anthropicMessages", service.classify("x", [])), "client_closed")
    }))
})

const answerCases = [
  { subject: "math", route: "anthropicMessages", modelVariable: "ANTHROPIC_MATH_MODEL" },
  { subject: "history", route: "chat", modelVariable: "OPENAI_HISTORY_MODEL" },
  { subject: "english", route: "chat", modelVariable: "OPENAI_ENGLISH_MODEL" }
] as const satisfies ReadonlyArray<{ subject: AnswerSubject; route: "anthropicMessages" | "chat"; modelVariable: string }>

/** The conversation as the provider saw it, system prompt aside. */
const sentConversation = (sent: { readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }> }) =>
  sent.messages.filter((m) => m.role !== "system").map((m) => `${m.role}: ${m.content}`)

for (const { modelVariable, route, subject } of answerCases) {
  describe(`SpecialistsLive.answer(${subject})`, () => {
    const answer = "Two plus two is four. That is all!"

    it.live("streams the answer as non-empty deltas from the configured model, with the history", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup({ [modelVariable]: `${subject}-model-test` })
        stub.configure(route, { reply: () => answer, chunkChars: 5 })

        const deltas = yield* Stream.runCollect(service.answer(subject, "What is 2 + 2?", history))
        assert.strictEqual(deltas.join(""), answer)
        assert.isAbove(deltas.length, 1)
        assert.isTrue(deltas.every((delta) => delta.length > 0))

        const sent = route === "chat"
          ? yield* sentBody(stub, route, ChatRequest)
          : yield* sentBody(stub, route, AnthropicRequest)
        assert.strictEqual(sent.model, `${subject}-model-test`)
        assert.isTrue(sent.stream)
        assert.strictEqual(sent.max_tokens, 1024)
        // the greeting before the student's first turn is dropped: a conversation opens with the user
        assert.deepStrictEqual(sentConversation(sent), [
          "user: What is a fraction?",
          "assistant: A fraction is a part of a whole.",
          "user: What is 2 + 2?"
        ])
        const system = "system" in sent ? sent.system : sent.messages[0]?.content
        assert.include(system, `${subject === "english" ? "English" : subject} tutor`)
      }))

    it.live("relays each delta as it arrives, before the answer is complete", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup()
        // two chunks, then the provider goes silent: only progressive delivery can return
        stub.configure(route, { reply: () => answer, chunkChars: 4, fault: Faults.stall(2) })
        const first = yield* Stream.runCollect(Stream.take(service.answer(subject, "q", []), 2))
        assert.deepStrictEqual(first, ["Two ", "plus"])
      }))

    it.live("retries a 429 before the first chunk", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup()
        stub.configure(route, { reply: () => answer, failFirst: { count: 1, fault: Faults.rateLimited() } })
        assert.strictEqual((yield* Stream.runCollect(service.answer(subject, "q", []))).join(""), answer)
        assert.strictEqual(stub.requests(route).length, 2)
      }))

    it.live("a persistent 500 is server_error", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup()
        stub.configure(route, { fault: Faults.serverError() })
        const error = expectReason(yield* Effect.flip(Stream.runCollect(service.answer(subject, "q", []))), "server_error")
        assert.strictEqual(error.operation, "Specialists.answer")
      }))

    it.live("no response, or silence mid-answer, is a timeout", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup({ PROVIDER_TIMEOUT_MS: "250" })
        stub.configure(route, { fault: Faults.hang })
        expectReason(yield* Effect.flip(Stream.runCollect(service.answer(subject, "q", []))), "timeout")

        stub.configure(route, { reply: () => answer, chunkChars: 4, fault: Faults.stall(1) })
        const { exit, received } = yield* collect(service.answer(subject, "q", []))
        assert.deepStrictEqual(received, ["Two "])
        expectReason(yield* Effect.flip(exit), "timeout")
        const [request] = stub.requests(route).slice(-1)
        assert.strictEqual(yield* Effect.promise(() => request!.settled), "client_closed")
      }))

    it.live("a cut connection is stream_cut, after relaying what arrived", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup()
        stub.configure(route, { reply: () => answer, chunkChars: 4, fault: Faults.cut(2) })
        const { exit, received } = yield* collect(service.answer(subject, "q", []))
        assert.deepStrictEqual(received, ["Two ", "plus"])
        expectReason(yield* Effect.flip(exit), "stream_cut")
      }))

    it.live("an unparsable event mid-stream is stream_cut; an event of the wrong shape is invalid_response", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup()
        stub.configure(route, { reply: () => answer, fault: Faults.invalidJson })
        expectReason(yield* Effect.flip(Stream.runCollect(service.answer(subject, "q", []))), "stream_cut")
        stub.configure(route, { fault: Faults.unexpectedShape })
        expectReason(yield* Effect.flip(Stream.runCollect(service.answer(subject, "q", []))), "invalid_response")
      }))

    it.live("interrupting the consumer aborts the HTTP request, before or during the answer", () =>
      Effect.gen(function*() {
        const { service, stub } = yield* setup()
        for (const fault of [Faults.hang, Faults.stall(1)]) {
          stub.reset()
          stub.configure(route, { reply: () => answer, fault })
          const outcome = yield* interruptMidRequest(stub, route, Stream.runDrain(service.answer(subject, "q", [])), 50)
          assert.strictEqual(outcome, "client_closed", fault.kind)
        }
      }))
  })
}

describe("SpecialistsLive.answer without keys", () => {
  it.live("a missing key makes only that provider's subjects unavailable, naming the key", () =>
    Effect.gen(function*() {
      const { service } = yield* setup({ ANTHROPIC_API_KEY: "" })
      const error = expectReason(yield* Effect.flip(Stream.runCollect(service.answer("math", "q", []))), "unavailable")
      assert.include(error.detail, "ANTHROPIC_API_KEY")
      assert.isNotEmpty(yield* Stream.runCollect(service.answer("history", "q", [])))
    }))
})

describe("SpecialistsLive.guess (speculative routing)", () => {
  it.live("guesses a clear question's subject without calling a provider; unsure, escalating or switched off → none", () =>
    Effect.gen(function*() {
      const { service, stub } = yield* setup()
      assert.deepStrictEqual(yield* service.guess("Why did the Roman Empire fall?", []), Option.some("history"))
      assert.deepStrictEqual(yield* service.guess("What is 25% of 80?", []), Option.some("math"))
      assert.isTrue(Option.isNone(yield* service.guess("hmm", [])))
      assert.isTrue(Option.isNone(yield* service.guess("I want to talk to a real teacher", [])))
      assert.lengthOf(stub.requests("anthropicMessages"), 0)

      const { service: off } = yield* setup({ TUTOR_SPECULATIVE_ROUTING: "false" })
      assert.isTrue(Option.isNone(yield* off.guess("Why did the Roman Empire fall?", [])))
    }).pipe(Effect.scoped))
})
