import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { dispatch, openStudent, post, testServer, waitFor } from "../http/harness.ts"

const exporter = new InMemorySpanExporter()
const InMemoryTracing = NodeSdk.layer(() => ({
  resource: { serviceName: "test" },
  spanProcessor: new SimpleSpanProcessor(exporter)
}))

layer(testServer().pipe(Layer.provideMerge(InMemoryTracing)), { excludeTestServices: true })("traces of the server", (it) => {
  it.effect("a browser event becomes a frontend.* span joined to the turn's spans by the session id", () =>
    Effect.gen(function*() {
      exporter.reset()
      const student = yield* openStudent
      const sessionId = student.sessionId
      const reply = yield* post("/events", {
        session_id: sessionId,
        event_name: "question.selected",
        attributes: { version: "b", index: 2 }
      }, { as: student, csrf: null })
      expect(reply.status).toBe(200)
      const jobId = yield* dispatch(student, "What is 25% of 80?")
      yield* waitFor(student, jobId)
      const spans = exporter.getFinishedSpans()
      const frontend = spans.find((span) => span.name === "frontend.question.selected")
      expect(frontend?.attributes).toMatchObject({
        "session.id": sessionId,
        source: "frontend",
        "frontend.version": "b",
        "frontend.index": 2
      })
      const turn = spans.find((span) => span.name === "tutor.turn")
      expect(turn?.attributes["session.id"]).toBe(sessionId)
      expect(turn?.attributes["tutor.version"]).toBe("b")
      // HTTP server spans wrap the requests
      expect(spans.some((span) => span.name.includes("POST") && span.kind === 1)).toBe(true)
    }))
})
