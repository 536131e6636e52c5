import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger, Queue, Scope } from "effect"
import { dispatch, openSse, openStudent, testServer } from "./harness.ts"

describe("graceful shutdown", () => {
  it.live("a running job is interrupted, open streams end, and nothing is reported as an error", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const problems: Array<string> = []
      // every warning or error logged while the server runs and shuts down
      const watchLogs = Logger.layer([
        Logger.make(({ logLevel, message }) => {
          if (logLevel === "Error" || logLevel === "Fatal" || logLevel === "Warn") problems.push(`${logLevel}: ${String(message)}`)
        })
      ])
      const scope = yield* Scope.make()
      const server = yield* Layer.buildWithScope(
        testServer({
          specialists: {
            answer: () => [{ text: "A first sentence. Then" }, { text: " it never ends.", delay: "30 seconds" }],
            onEvent: (event) => calls.push(event)
          }
        }).pipe(Layer.provide(watchLogs)),
        scope
      )
      const events = yield* Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "Tell me a long story")
        const inbox = yield* openSse(`/orchestrate/${jobId}/events`, student)
        // the job is mid-answer: its first sentence is out, the specialist is still streaming
        while ((yield* Queue.take(inbox)).event !== "sentence");
        return inbox
      }).pipe(Effect.provideContext(server))

      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      // the open SSE stream did not hold the shutdown for the 20 s graceful timeout
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(calls).toContain("answer:ended-early")
      expect(calls).not.toContain("answer:completed")
      expect(problems).toEqual([])
      expect(yield* Queue.size(events)).toBe(0)
    }))
})
