import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Fiber, Layer, Stream } from "effect"
import { testSafety } from "../../src/layers/test/safety.ts"
import { TurnPipelineFromConfig, turnPipelineWorkers } from "../../src/layers/pipeline/workerPool.ts"
import { testGuardrail } from "../../src/layers/test/guardrail.ts"
import { testSpecialists } from "../../src/layers/test/specialists.ts"
import { testSpeech } from "../../src/layers/test/speech.ts"
import { TurnPipeline } from "../../src/services/TurnPipeline.ts"
import type { TurnEvent } from "../../src/tutor/events.ts"
import { dispatch, openStudent, testServer, waitFor } from "../http/harness.ts"
import { ProviderStub } from "../stub/providerStub.ts"

/*
 * The turn worker pool as the server uses it with TUTOR_TURN_WORKERS: real child processes
 * answering with the live providers (real SDKs) against the provider stub on loopback.
 */

const ofType = <T extends TurnEvent["type"]>(events: ReadonlyArray<TurnEvent>, type: T) =>
  events.filter((event): event is Extract<TurnEvent, { type: T }> => event.type === type)

const poolAgainstStub = Effect.gen(function*() {
  const stub = yield* ProviderStub.acquire()
  // the stub's moderation passes everything; the classifier names the subject
  stub.configure("anthropicMessages", { reply: () => "history 0.9" })
  stub.configure("chat", { reply: () => "Rome fell slowly. Its economy weakened first." })
  const pool = yield* Layer.build(turnPipelineWorkers({ size: 1, env: { ...stub.env, TUTOR_PROVIDERS: "live" } }))
  return { stub, pipeline: Context.get(pool, TurnPipeline) }
})

describe("turn worker pool (child processes over Effect RPC)", () => {
  it.live("a worker answers the turn with its own providers: classified, guarded sentences in order, done", () =>
    Effect.gen(function*() {
      const { pipeline, stub } = yield* poolAgainstStub
      const events = yield* Stream.runCollect(
        pipeline.answer({ sessionId: "w-1", studentText: "Why did the Roman Empire fall?", history: [], version: "b" })
      )
      expect(ofType(events, "classified")[0]).toMatchObject({ subject: "history", confidence: 0.9, fallback: false })
      expect(ofType(events, "sentence").map((event) => event.text)).toEqual(["Rome fell slowly.", "Its economy weakened first."])
      expect(ofType(events, "done")[0]).toMatchObject({ outcome: "answered", subject: "history", sentenceCount: 2 })
      // the worker, not this process, called the providers: the stub saw each sentence moderated
      expect(stub.requests("moderations").length).toBeGreaterThanOrEqual(3)
    }).pipe(Effect.scoped), 60_000)

  it.live("interrupting a turn here interrupts it in the worker, which hangs up on the provider", () =>
    Effect.gen(function*() {
      const { pipeline, stub } = yield* poolAgainstStub
      stub.configure("chat", { latencyMs: 5_000 })
      const fiber = yield* Stream.runCollect(
        pipeline.answer({ sessionId: "w-2", studentText: "Why did the Roman Empire fall?", history: [] })
      ).pipe(Effect.forkChild)
      const request = yield* Effect.promise(() => stub.received("chat"))
      yield* Fiber.interrupt(fiber)
      expect(yield* Effect.promise(() => request.settled)).toBe("client_closed")
    }).pipe(Effect.scoped), 60_000)

  it.live("a worker that cannot start ends the turn with a failed event, not a hang", () =>
    Effect.gen(function*() {
      // live providers demanded without keys: the worker exits at start-up
      const pool = yield* Layer.build(
        turnPipelineWorkers({ size: 1, env: { TUTOR_PROVIDERS: "live", OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "" } })
      )
      const events = yield* Stream.runCollect(
        Context.get(pool, TurnPipeline).answer({ sessionId: "w-3", studentText: "Why did Rome fall?", history: [] })
      ).pipe(Effect.timeout("50 seconds"))
      expect(events).toEqual([expect.objectContaining({ type: "failed", stage: "worker" })])
    }).pipe(Effect.scoped), 60_000)

  it.live("the server's jobs answer through the pool: POST /orchestrate, then a complete job with the worker's answer", () =>
    Effect.gen(function*() {
      const stub = yield* ProviderStub.acquire()
      stub.configure("anthropicMessages", { reply: () => "history 0.9" })
      stub.configure("chat", { reply: () => "Rome fell slowly. Its economy weakened first." })
      const server = testServer({ turns: turnPipelineWorkers({ size: 1, env: { ...stub.env, TUTOR_PROVIDERS: "live" } }) })
      const job = yield* Effect.gen(function*() {
        // the worker process starts with the server: on a slow host that is most of the wait
        const student = yield* openStudent
        return yield* waitFor(student, yield* dispatch(student, "Why did the Roman Empire fall?"), 50)
      }).pipe(Effect.provide(server))
      expect(job).toMatchObject({
        status: "complete",
        subject: "history",
        safe_text: "Rome fell slowly. Its economy weakened first.",
        tts_ready: true
      })
    }).pipe(Effect.scoped), 60_000)
})

describe("TUTOR_TURN_WORKERS", () => {
  const fromEnv = (env: Record<string, string>) =>
    TurnPipelineFromConfig.pipe(
      Layer.provide(Layer.mergeAll(testSpecialists(), testGuardrail(), testSafety(), testSpeech())),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
    )

  it.effect("unset, turns are answered in this process with the providers given", () =>
    Effect.gen(function*() {
      const pipeline = Context.get(yield* Layer.build(fromEnv({})), TurnPipeline)
      const events = yield* Stream.runCollect(pipeline.answer({ sessionId: "c-1", studentText: "What is 25% of 80?", history: [] }))
      expect(ofType(events, "done")[0]).toMatchObject({ outcome: "answered", subject: "math" })
    }).pipe(Effect.scoped))

  it.effect("a count that is not a whole number from 0 up is refused at start-up", () =>
    Effect.gen(function*() {
      for (const value of ["-1", "two", "1.5"]) {
        const built = yield* Effect.exit(Layer.build(fromEnv({ TUTOR_TURN_WORKERS: value })))
        expect(built._tag).toBe("Failure")
      }
    }).pipe(Effect.scoped))
})
