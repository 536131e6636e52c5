import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { GuardrailLive } from "../../src/layers/live/guardrail.ts"
import { SpecialistsLive } from "../../src/layers/live/specialists.ts"
import { SafetyWithModel } from "../../src/layers/local/safety/SafetyLocal.ts"
import { testSpeech } from "../../src/layers/test/speech.ts"
import { answerTurn } from "../../src/tutor/answerTurn.ts"
import type { TurnEvent } from "../../src/tutor/events.ts"
import { ProviderStub } from "../stub/providerStub.ts"

const escalationOf = (events: ReadonlyArray<TurnEvent>) =>
  events.find((event): event is Extract<TurnEvent, { type: "escalation" }> => event.type === "escalation")

describe("the safety check with live providers (real SDKs against the provider stub)", () => {
  it.live("a flagged disclosure reaches no provider: no classifier, no specialist, not even moderation", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      // the live side would also flag it and call it math: neither is asked
      stub.configure("moderations", { moderate: () => ({ flagged: ["violence"] }) })
      stub.configure("anthropicMessages", { reply: () => "math 0.99" })
      const providers = Layer.mergeAll(SpecialistsLive, GuardrailLive, testSpeech(), SafetyWithModel).pipe(
        // speculative routing on: the lexicon's guess must not start a specialist before the check
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ ...stub.env, TUTOR_SPECULATIVE_ROUTING: "true" })))
      )
      const events = yield* Stream.runCollect(
        answerTurn({ sessionId: "live-safety", studentText: "my dad beats me when he gets drunk, what is 5 times 6", history: [] })
      ).pipe(Effect.provide(providers))
      expect(escalationOf(events)?.finding.category).toBe("abuse_neglect")
      expect(stub.requests("chat")).toEqual([])
      expect(stub.requests("anthropicMessages")).toEqual([])
      expect(stub.requests("moderations")).toEqual([])
    }), 60_000)

  it.live("live moderation adds to the local check: what it flags escalates with its category mapped", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      stub.configure("moderations", { moderate: (input) => input.includes("sandwich") ? { flagged: ["self-harm/intent"] } : { flagged: [] } })
      stub.configure("anthropicMessages", { reply: () => "english 0.9" })
      const providers = Layer.mergeAll(SpecialistsLive, GuardrailLive, testSpeech(), SafetyWithModel).pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(stub.env)))
      )
      const events = yield* Stream.runCollect(
        answerTurn({ sessionId: "live-safety-2", studentText: "what is a sandwich", history: [] })
      ).pipe(Effect.provide(providers))
      expect(escalationOf(events)?.finding).toMatchObject({ severity: "urgent" })
      expect(escalationOf(events)?.finding.evidence).toContainEqual({ check: "moderation", label: "self_harm_intent", score: 0.9 })
      expect(stub.requests("chat")).toEqual([])
    }), 60_000)
})
