import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { createHmac } from "node:crypto"
import { scriptedFailure } from "../../src/layers/test/specialists.ts"
import {
  dispatch,
  get,
  post,
  postRaw,
  SCRIPTED_COST_USD,
  SCRIPTED_USAGE,
  scriptedRealtime,
  TEST_CSRF_SECRET,
  testServer,
  waitFor
} from "./harness.ts"

const csrfFailed = { detail: "CSRF check failed" }
const question = { session_id: "s-api", student_text: "What is 25% of 80?" }

/** A token in the reference's format, signed with `secret`, expiring at `expire`. */
const tokenFor = (expire: number, secret = TEST_CSRF_SECRET) =>
  `${expire}:${createHmac("sha256", secret).update(String(expire)).digest("hex")}`
const nowSeconds = () => Math.floor(Date.now() / 1000)

describe("Version B API: reference routes, statuses and texts", () => {
  it.live("GET /health answers ok/b", () =>
    Effect.gen(function*() {
      const reply = yield* get("/health")
      expect([reply.status, reply.body]).toEqual([200, { status: "ok", version: "b" }])
    }).pipe(Effect.provide(testServer())))

  it.live("GET /csrf/token issues <expire>:<64 hex> tokens with ttl 300 that open protected routes", () =>
    Effect.gen(function*() {
      const reply = yield* get("/csrf/token")
      assert.deepInclude(reply.body, { ttl: 300 })
      const token = reply.body !== null && typeof reply.body === "object" && "token" in reply.body ? reply.body.token : ""
      expect(token).toMatch(/^\d+:[0-9a-f]{64}$/)
      expect((yield* post("/orchestrate", question, { csrf: String(token) })).status).toBe(200)
    }).pipe(Effect.provide(testServer())))

  describe("CSRF (403)", () => {
    const cases = [
      ["missing", null],
      ["expired", tokenFor(nowSeconds() - 1)],
      ["forged", tokenFor(nowSeconds() + 300, "someone-elses-secret")],
      ["garbage", "not-a-token"]
    ] as const
    for (const [name, csrf] of cases) {
      it.live(`a ${name} token is refused with CSRF check failed`, () =>
        Effect.gen(function*() {
          const reply = yield* post("/orchestrate", question, { csrf })
          expect([reply.status, reply.body]).toEqual([403, csrfFailed])
        }).pipe(Effect.provide(testServer())))
    }

    it.live("protects every state-changing or costly route, and is checked before the body", () =>
      Effect.gen(function*() {
        const paths = ["/orchestrate", "/orchestrate/x/wait", "/tts/stream", "/escalate", "/session/token?session_id=s", "/session/s/close"]
        for (const path of paths) {
          const reply = yield* postRaw(path, "{not json", { csrf: null })
          expect([path, reply.status, reply.body]).toEqual([path, 403, csrfFailed])
        }
        // telemetry is append-only and stays open, as in the reference
        expect((yield* post("/events", { session_id: "s", event_name: "page.view" }, { csrf: null })).status).toBe(200)
      }).pipe(Effect.provide(testServer())))
  })

  describe("bad input never becomes a 500", () => {
    it.live("a missing field is a 422 with FastAPI's detail list", () =>
      Effect.gen(function*() {
        const reply = yield* post("/orchestrate", { session_id: "s" })
        expect(reply.status).toBe(422)
        expect(reply.body).toEqual({ detail: [{ loc: ["body", "student_text"], msg: "Missing key", type: "missing" }] })
      }).pipe(Effect.provide(testServer())))

    it.live("student_text must have 1 to 2,000 characters after trimming; unknown fields are ignored", () =>
      Effect.gen(function*() {
        expect((yield* post("/orchestrate", { session_id: "s", student_text: "   " })).status).toBe(422)
        expect((yield* post("/orchestrate", { session_id: "s", student_text: "x".repeat(2_001) })).status).toBe(422)
        const ok = yield* post("/orchestrate", { session_id: "s", student_text: ` ${"x".repeat(2_000)} `, extra: true })
        expect(ok.status).toBe(200)
      }).pipe(Effect.provide(testServer())))

    it.live("malformed JSON is a 400 with a JSON error", () =>
      Effect.gen(function*() {
        const reply = yield* postRaw("/orchestrate", "{\"session_id\": ")
        expect([reply.status, reply.body]).toEqual([400, { detail: "Malformed JSON body" }])
      }).pipe(Effect.provide(testServer())))

    it.live("a body over 64 KiB is a 413", () =>
      Effect.gen(function*() {
        const reply = yield* post("/orchestrate", { session_id: "s", student_text: "x".repeat(70_000) })
        expect([reply.status, reply.body]).toEqual([413, { detail: "Request body larger than 65536 bytes" }])
      }).pipe(Effect.provide(testServer())))

    it.live("an unknown route is a JSON 404 carrying a request id", () =>
      Effect.gen(function*() {
        const reply = yield* get("/no/such/route")
        expect([reply.status, reply.body]).toEqual([404, { detail: "Not Found" }])
        expect(reply.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/)
      }).pipe(Effect.provide(testServer())))
  })

  describe("jobs", () => {
    it.live("POST /orchestrate → job id (uuid), GET shows it, /wait returns it complete", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-1", "What is 25% of 80?")
        expect(jobId).toHaveLength(36)
        const status = yield* waitFor(jobId)
        assert.deepInclude(status, { job_id: jobId, status: "complete", subject: "math", tts_ready: true, finding: null })
        expect(status.safe_text).toBe("25% of 80 is 20. That's because 0.25 times 80 equals 20.")
        expect((yield* get(`/orchestrate/${jobId}`)).body).toEqual({ ...status, confidence: 0.95 })
      }).pipe(Effect.provide(testServer())))

    it.live("a complete job carries its turn's stage latencies and token usage with the estimated cost", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-usage", "What is 25% of 80?")
        const status = yield* waitFor(jobId)
        expect(status.usage).toEqual({
          inputTokens: 1000,
          outputTokens: 200,
          byModel: [SCRIPTED_USAGE],
          estimatedCostUsd: expect.closeTo(SCRIPTED_COST_USD, 12),
          unpricedModels: []
        })
        expect(status.latency?.firstSentenceMs).toEqual(expect.any(Number))
        expect(status.latency?.totalMs).toBeGreaterThanOrEqual(status.latency?.firstSentenceMs ?? Infinity)
        expect((yield* get(`/orchestrate/${jobId}`)).body).toMatchObject({ latency: status.latency, usage: status.usage })
      }).pipe(Effect.provide(testServer({ specialists: { usage: SCRIPTED_USAGE } }))))

    it.live("an unfinished job has no latency or usage yet", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-pending", "What is 25% of 80?")
        expect((yield* get(`/orchestrate/${jobId}`)).body).toMatchObject({ status: "pending", latency: null, usage: null })
      }).pipe(Effect.provide(testServer({ specialists: { classifyDelay: "1 second", usage: SCRIPTED_USAGE } }))))

    it.live("an unknown job is a 404 Job not found on GET, /wait and /tts/stream", () =>
      Effect.gen(function*() {
        const notFound = [404, { detail: "Job not found" }]
        const status = yield* get("/orchestrate/nope")
        expect([status.status, status.body]).toEqual(notFound)
        const wait = yield* post("/orchestrate/nope/wait")
        expect([wait.status, wait.body]).toEqual(notFound)
        const tts = yield* post("/tts/stream", { job_id: "nope" })
        expect([tts.status, tts.body]).toEqual(notFound)
      }).pipe(Effect.provide(testServer())))

    it.live("/wait gives up with 408 Job timed out while the job keeps running", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-1", "slow question")
        const reply = yield* post(`/orchestrate/${jobId}/wait?timeout=0.1`)
        expect([reply.status, reply.body]).toEqual([408, { detail: "Job timed out" }])
        expect((yield* waitFor(jobId)).status).toBe("complete")
      }).pipe(Effect.provide(testServer({ specialists: { classifyDelay: "300 millis" } }))))

    it.live("a negative or non-numeric /wait timeout is a 422", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-1", "q")
        expect((yield* post(`/orchestrate/${jobId}/wait?timeout=-1`)).status).toBe(422)
        expect((yield* post(`/orchestrate/${jobId}/wait?timeout=soon`)).status).toBe(422)
      }).pipe(Effect.provide(testServer())))

    it.live("/tts/stream is a 409 Job not ready for TTS while the job is pending", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-1", "q")
        const reply = yield* post("/tts/stream", { job_id: jobId })
        expect([reply.status, reply.body]).toEqual([409, { detail: "Job not ready for TTS" }])
      }).pipe(Effect.provide(testServer({ specialists: { classifyDelay: "1 second" } }))))

    it.live("/tts/stream of a failed job is a 422 with the job's error; a missing job_id is a 422", () =>
      Effect.gen(function*() {
        const jobId = yield* dispatch("s-1", "q")
        const failed = yield* waitFor(jobId)
        expect(failed.status).toBe("error")
        const reply = yield* post("/tts/stream", { job_id: jobId })
        expect(reply.status).toBe(422)
        expect(reply.body).toEqual({ detail: failed.error_message })
        expect(failed.error_message).toContain("specialist failed")
        expect((yield* post("/tts/stream", { voice: "alloy" })).status).toBe(422)
      }).pipe(Effect.provide(testServer({
        specialists: { answer: () => [scriptedFailure("Specialists.answer", "server_error")] }
      }))))
  })

  describe("sessions", () => {
    it.live("/session/token without Realtime is a 503 naming RealtimeNotConfigured", () =>
      Effect.gen(function*() {
        const reply = yield* post("/session/token?session_id=s-1")
        expect(reply.status).toBe(503)
        assert.deepInclude(reply.body, { error: "RealtimeNotConfigured" })
        expect((yield* post("/session/token")).status).toBe(422)
      }).pipe(Effect.provide(testServer())))

    it.live("/session/token relays the ephemeral key, and a provider failure is a 500 with the reference text", () =>
      Effect.gen(function*() {
        const ok = yield* post("/session/token?session_id=good")
        expect(ok.body).toEqual({
          client_secret: { value: "ek-test-0123456789abcdefghij", expires_at: 1_900_000_000 },
          session_id: "good",
          model: "gpt-4o-realtime-preview",
          voice: "alloy"
        })
        const failed = yield* post("/session/token?session_id=bad")
        expect([failed.status, failed.body]).toEqual([500, { detail: "Failed to create session token" }])
        expect(failed.headers["x-request-id"]).toBeDefined()
      }).pipe(Effect.provide(testServer({
        realtime: scriptedRealtime
      }))))

    it.live("/session/{id}/close reports what the server saw of the session", () =>
      Effect.gen(function*() {
        yield* waitFor(yield* dispatch("s-report", "What is 25% of 80?"))
        yield* waitFor(yield* dispatch("s-report", "Who was Napoleon?"))
        const reply = yield* post("/session/s-report/close", { session_report: { rating: 5 } })
        expect(reply.status).toBe(200)
        assert.deepInclude(reply.body, { session_id: "s-report", closed: true, client_report: { rating: 5 } })
        const report = reply.body !== null && typeof reply.body === "object" && "report" in reply.body ? reply.body.report : null
        assert.deepInclude(report, { turns: 4, subjects: ["math", "history"], escalated: false, guardrail_flags: 0 })
        assert.deepInclude(report, {
          routing_decisions: [
            { to: "math", confidence: 0.95, fallback: false, excerpt: "What is 25% of 80?" },
            { to: "history", confidence: 0.9, fallback: false, excerpt: "Who was Napoleon?" }
          ]
        })
        const latency = report !== null && typeof report === "object" && "latency_ms" in report ? report.latency_ms : null
        expect(latency).toMatchObject({ total: { samples: 2, p50: expect.any(Number), max: expect.any(Number) } })
        expect(report).toMatchObject({
          usage: { input_tokens: 2000, output_tokens: 400, estimated_cost_usd: expect.closeTo(2 * SCRIPTED_COST_USD, 12) }
        })
        // an empty body is fine too
        expect((yield* post("/session/other/close")).status).toBe(200)
      }).pipe(Effect.provide(testServer({
        specialists: {
          usage: SCRIPTED_USAGE,
          classify: (text) =>
            text.includes("Napoleon")
              ? { subject: "history", confidence: 0.9, raw: "history" }
              : { subject: "math", confidence: 0.95, raw: "math" }
        }
      }))))
  })

  it.live("POST /events records a browser event; a missing session_id is a 422", () =>
    Effect.gen(function*() {
      const ok = yield* post("/events", { session_id: "s", event_name: "question.selected", attributes: { n: 1 } }, {
        csrf: null
      })
      expect([ok.status, ok.body]).toEqual([200, { ok: true }])
      expect((yield* post("/events", { event_name: "x" }, { csrf: null })).status).toBe(422)
      expect((yield* post("/events", { session_id: "s", event_name: "x", attributes: { a: { b: 1 } } }, { csrf: null })).status)
        .toBe(422)
    }).pipe(Effect.provide(testServer())))

  it.live("POST /escalate returns a signed teacher_ws_url for the session, honouring ws_base_url", () =>
    Effect.gen(function*() {
      const reply = yield* post("/escalate", { session_id: "sess-c", reason: "stuck", ws_base_url: "ws://custom:9000" })
      expect(reply.status).toBe(200)
      assert.deepInclude(reply.body, { session_id: "sess-c" })
      const url = reply.body !== null && typeof reply.body === "object" && "teacher_ws_url" in reply.body
        ? String(reply.body.teacher_ws_url)
        : ""
      expect(url).toMatch(/^ws:\/\/custom:9000\/ws\/teacher\/sess-c\?token=\d+%3A[0-9a-f]{64}$/)
      const fallback = yield* post("/escalate", { session_id: "sess-d", reason: "stuck" })
      assert.deepInclude(fallback.body, { session_id: "sess-d" })
      expect(JSON.stringify(fallback.body)).toContain("ws://localhost:8001/ws/teacher/sess-d?token=")
      expect((yield* post("/escalate", { reason: "stuck" })).status).toBe(422)
    }).pipe(Effect.provide(testServer())))

  it.live("serves the OpenAPI document and answers CORS preflights from the web origin", () =>
    Effect.gen(function*() {
      const openapi = yield* get("/openapi.json")
      expect(openapi.status).toBe(200)
      const document = yield* Schema.decodeUnknownEffect(Schema.Struct({ paths: Schema.Record(Schema.String, Schema.Unknown) }))(
        openapi.body
      )
      const paths = Object.keys(document.paths)
      expect(paths).toEqual(expect.arrayContaining(["/health", "/orchestrate", "/orchestrate/{job_id}/wait", "/tts/stream", "/escalate"]))
      const preflight = yield* HttpClient.execute(HttpClientRequest.options("/orchestrate").pipe(
        HttpClientRequest.setHeaders({
          origin: "http://localhost:3000",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-csrf-token"
        })
      ))
      expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:3000")
      expect(preflight.headers["access-control-allow-headers"]).toContain("x-csrf-token")
    }).pipe(Effect.provide(testServer())))
})
