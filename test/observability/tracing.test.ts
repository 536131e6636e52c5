import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { testSafety } from "../../src/layers/test/safety.ts"
import { assert, describe, expect, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { TracingLive } from "../../src/layers/observability.ts"
import { testGuardrail } from "../../src/layers/test/guardrail.ts"
import { testSpecialists } from "../../src/layers/test/specialists.ts"
import { testSpeech } from "../../src/layers/test/speech.ts"
import { answerTurn } from "../../src/tutor/answerTurn.ts"

const exporter = new InMemorySpanExporter()
const InMemoryTracing = NodeSdk.layer(() => ({
  resource: { serviceName: "test" },
  spanProcessor: new SimpleSpanProcessor(exporter)
}))

const portOf = (address: AddressInfo | string | null): number => {
  if (address === null || typeof address === "string") throw new Error("collector is not listening on TCP")
  return address.port
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

// layer() keeps the SDK alive for the block: its shutdown would clear the in-memory exporter
layer(Layer.mergeAll(
  InMemoryTracing,
  testSpecialists(),
  testGuardrail({ flag: (text) => text.startsWith("That's") ? ["violence"] : undefined }),
  testSafety(),
  testSpeech()
))("a turn's trace", (it) => {
  it.effect("one tutor.turn span with classify, specialist, guardrail.sentence and tts children", () =>
    Effect.gen(function*() {
      exporter.reset()
      yield* Stream.runDrain(answerTurn({ sessionId: "trace-1", studentText: "What is 25% of 80?", history: [], version: "b" }, { voice: "alloy" }))
      const spans = exporter.getFinishedSpans()
      const turn = spans.find((span) => span.name === "tutor.turn")
      assert.isDefined(turn)
      if (turn === undefined) return
      expect(turn.attributes).toMatchObject({
        "session.id": "trace-1",
        "tutor.version": "b",
        "tutor.subject": "math",
        "tutor.confidence": 0.95,
        "tutor.fallback": false,
        "tutor.flagged_count": 1
      })
      const children = spans.filter((span) => parentOf(span) === turn.spanContext().spanId)
      const names = children.map((span) => span.name)
      expect(names.filter((name) => name === "classify")).toHaveLength(1)
      expect(names.filter((name) => name === "specialist")).toHaveLength(1)
      expect(names.filter((name) => name === "guardrail.sentence")).toHaveLength(2)
      expect(names.filter((name) => name === "tts")).toHaveLength(2)
      const guarded = children.filter((span) => span.name === "guardrail.sentence").map((span) => span.attributes)
      expect(guarded).toContainEqual(expect.objectContaining({ "guardrail.flagged": true, "guardrail.categories": "violence", "guardrail.action": "rewritten" }))
      const tts = children.find((span) => span.name === "tts")
      expect(Number(tts?.attributes["tts.bytes"])).toBeGreaterThan(0)
      const specialist = children.find((span) => span.name === "specialist")
      expect(specialist?.attributes["specialist.subject"]).toBe("math")
    }))
})

describe("trace export", () => {
  const withCollector = <A, E>(use: (url: string, received: Array<{ path: string; headers: IncomingHttpHeaders }>) => Effect.Effect<A, E>) =>
    Effect.acquireUseRelease(
      Effect.promise(() =>
        new Promise<{ server: ReturnType<typeof createServer>; received: Array<{ path: string; headers: IncomingHttpHeaders }> }>((resolve) => {
          const received: Array<{ path: string; headers: IncomingHttpHeaders }> = []
          const server = createServer((req, res) => {
            req.resume()
            req.on("end", () => {
              received.push({ path: req.url ?? "", headers: req.headers })
              res.writeHead(200, { "content-type": "application/json" }).end("{}")
            })
          })
          server.listen(0, "127.0.0.1", () => resolve({ server, received }))
        })
      ),
      ({ received, server }) => use(`http://127.0.0.1:${portOf(server.address())}`, received),
      ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
    )

  const runTracedTurn = (env: Record<string, string>) =>
    Stream.runDrain(answerTurn({ sessionId: "export-1", studentText: "q", history: [] })).pipe(
      Effect.provide(Layer.mergeAll(TracingLive, testSpecialists(), testGuardrail(), testSafety(), testSpeech())),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
    )

  it.live("sends spans to Langfuse's OTLP endpoint with Basic auth, flushed when the layer closes", () =>
    withCollector((url, received) =>
      Effect.gen(function*() {
        yield* runTracedTurn({ LANGFUSE_HOST: `${url}/`, LANGFUSE_PUBLIC_KEY: "pk-lf-test", LANGFUSE_SECRET_KEY: "sk-lf-test" })
        expect(received.length).toBeGreaterThan(0)
        expect(received[0]?.path).toBe("/api/public/otel/v1/traces")
        expect(received[0]?.headers.authorization).toBe(`Basic ${Buffer.from("pk-lf-test:sk-lf-test").toString("base64")}`)
        expect(received[0]?.headers["content-type"]).toContain("protobuf")
      })))

  it.live("sends OTLP/JSON to a plain collector when asked", () =>
    withCollector((url, received) =>
      Effect.gen(function*() {
        yield* runTracedTurn({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })
        expect(received[0]?.path).toBe("/v1/traces")
        expect(received[0]?.headers["content-type"]).toContain("json")
      })))

  it.live("with nothing configured there is no exporter and no error", () =>
    Effect.gen(function*() {
      yield* runTracedTurn({})
    }))
})
