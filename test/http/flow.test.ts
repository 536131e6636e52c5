import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Queue, Stream } from "effect"
import { HttpClient } from "effect/http"
import { knownPcm } from "../../src/layers/test/speech.ts"
import { JobStore } from "../../src/services/JobStore.ts"
import { ProviderError } from "../../src/services/ProviderError.ts"
import { Specialists } from "../../src/services/Specialists.ts"
import { Speech } from "../../src/services/Speech.ts"
import { dispatch, openSse, openStudent, postRequest, SCRIPTED_COST_USD, SCRIPTED_USAGE, testServer } from "./harness.ts"

const answer = [
  { text: "First sentence is here. " },
  { text: "Second sentence follows. ", delay: "300 millis" },
  { text: "Third one ends it.", delay: "300 millis" }
] as const
const sentences = ["First sentence is here.", "Second sentence follows.", "Third one ends it."]

const concat = (parts: ReadonlyArray<Uint8Array>) => new Uint8Array(Buffer.concat(parts))

/** Reads SSE events until (and including) the first one named `until`. */
const takeUntil = (inbox: Queue.Queue<{ readonly event: string; readonly data: unknown }>, until: string) =>
  Effect.gen(function*() {
    const events: Array<{ readonly event: string; readonly data: unknown }> = []
    while (events.at(-1)?.event !== until) events.push(yield* Queue.take(inbox))
    return events
  })

describe("orchestrate → events → progressive speech", () => {
  const server = testServer({ specialists: { answer: () => answer, usage: SCRIPTED_USAGE } })

  it.live("streams the job's status and safe sentences as SSE, then done", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const jobId = yield* dispatch(student, "Tell me three things")
      const events = yield* takeUntil(yield* openSse(`/orchestrate/${jobId}/events`, student), "done")
      const names = events.map((event) => event.event)
      expect(names.filter((name) => name !== "status")).toEqual(["sentence", "sentence", "sentence", "done"])
      expect(events.filter((event) => event.event === "sentence").map((event) => event.data)).toEqual(
        sentences.map((text, index) => ({ index, text }))
      )
      expect(events.find((event) => event.event === "done")?.data).toMatchObject({
        status: "complete",
        tts_ready: true,
        latency: { totalMs: expect.any(Number) },
        usage: { inputTokens: 1000, outputTokens: 200, estimatedCostUsd: expect.closeTo(SCRIPTED_COST_USD, 12) }
      })
    }).pipe(Effect.provide(server)))

  it.live("says when the guardrail rewrote a sentence: a guardrail event {index, action} before that sentence", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const jobId = yield* dispatch(student, "Tell me three things")
      const events = yield* takeUntil(yield* openSse(`/orchestrate/${jobId}/events`, student), "done")
      const named = events.filter((event) => event.event !== "status")
      expect(named.map((event) => event.event)).toEqual(["sentence", "guardrail", "sentence", "sentence", "done"])
      expect(named[1]?.data).toEqual({ index: 1, action: "rewritten" })
      expect(named[2]?.data).toEqual({ index: 1, text: "A calmer second sentence." })
    }).pipe(Effect.provide(testServer({
      specialists: { answer: () => answer },
      guardrail: {
        flag: (text) => text === "Second sentence follows." ? ["violence"] : undefined,
        rewrite: () => "A calmer second sentence."
      }
    }))))

  it.live("relays PCM of the first sentence while the specialist is still answering; bytes are the sentences' audio in order", () =>
    Effect.gen(function*() {
      // the rest of the answer is held back until the first audio has reached the client: a server
      // that waited for the whole answer would never send it, and the read below would time out
      const firstAudioHeard = yield* Deferred.make<void>()
      const specialists = Layer.succeed(Specialists, Specialists.of({
        classify: () => Effect.succeed({ subject: "math", confidence: 0.95, raw: "math" }),
        guess: () => Effect.succeed(Option.none()),
        answer: () =>
          Stream.concat(
            Stream.make("First sentence is here. Second "),
            Stream.fromEffect(Effect.as(Deferred.await(firstAudioHeard), "sentence follows. Third one ends it."))
          )
      }))
      yield* Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "Tell me three things")
        // speech may start once the job is processing: wait for its first safe sentence
        yield* takeUntil(yield* openSse(`/orchestrate/${jobId}/events`, student), "sentence")
        const response = yield* HttpClient.execute(
          yield* postRequest("/tts/stream", JSON.stringify({ job_id: jobId }), { as: student })
        )
        expect(response.status).toBe(200)
        expect(response.headers["content-type"]).toBe("audio/pcm")
        expect([
          response.headers["x-audio-sample-rate"],
          response.headers["x-audio-channels"],
          response.headers["x-audio-bit-depth"]
        ]).toEqual(["24000", "1", "16"])
        const chunks: Array<Uint8Array> = []
        yield* Stream.runForEach(response.stream, (bytes) =>
          Effect.andThen(Effect.sync(() => chunks.push(bytes)), Deferred.succeed(firstAudioHeard, undefined))).pipe(
            Effect.timeout("5 seconds")
          )
        expect(concat(chunks)).toEqual(concat(sentences.map((text) => knownPcm(text))))
      }).pipe(Effect.provide(testServer({ specialistsLayer: specialists })))
    }))

  it.live("a speech failure mid-stream aborts the response and puts an error event on the job", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const jobId = yield* dispatch(student, "Tell me three things")
      yield* takeUntil(yield* openSse(`/orchestrate/${jobId}/events`, student), "done")
      const response = yield* HttpClient.execute(yield* postRequest("/tts/stream", JSON.stringify({ job_id: jobId }), { as: student }))
      expect(response.status).toBe(200)
      const received: Array<Uint8Array> = []
      const outcome = yield* Stream.runForEach(response.stream, (bytes) => Effect.sync(() => received.push(bytes))).pipe(
        Effect.result
      )
      // the client can tell a cut answer from a finished one
      expect(outcome._tag).toBe("Failure")
      expect(concat(received)).toEqual(knownPcm(sentences[0] ?? ""))
      const job = yield* (yield* JobStore).get(jobId)
      expect(job.status).toBe("error")
      expect(job.errorMessage).toContain("Speech failed")
    }).pipe(Effect.provide(testServer({
      specialists: { answer: () => [{ text: sentences.join(" ") }] },
      speechLayer: Layer.succeed(Speech, Speech.of({
        synthesize: (text) =>
          text === sentences[0]
            ? Stream.succeed(knownPcm(text))
            // the provider drops the connection a moment into the second sentence
            : Stream.fromEffect(Effect.sleep("100 millis")).pipe(
              Stream.drain,
              Stream.concat(Stream.fail(
                new ProviderError({ provider: "test", operation: "Speech.synthesize", reason: "stream_cut", detail: "cut" })
              ))
            )
      }))
    }))))
})
