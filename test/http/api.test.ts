import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { createHmac } from "node:crypto"
import { scriptedFailure } from "../../src/layers/test/specialists.ts"
import {
  dispatch,
  get,
  openStudent,
  post,
  postRaw,
  realtimeFailingFor,
  SCRIPTED_COST_USD,
  SCRIPTED_USAGE,
  type Student,
  TEST_CSRF_SECRET,
  testServer,
  waitFor
} from "./harness.ts"

const csrfFailed = { detail: "CSRF check failed" }
const question = (as: Student) => ({ session_id: as.sessionId, student_text: "What is 25% of 80?" })

const hmac = (secret: string, message: string) => createHmac("sha256", secret).update(message).digest("hex")
/** A CSRF token of `sessionId` as the server issues them, signed with `secret`, expiring at `expire`. */
const tokenFor = (sessionId: string, expire: number, secret = TEST_CSRF_SECRET) =>
  `${sessionId}:${expire}:${hmac(secret, `csrf:${sessionId}:${expire}`)}`
/** A token in the reference's format, bound to no session: properly signed, refused for that alone. */
const unboundTokenFor = (expire: number) => `${expire}:${hmac(TEST_CSRF_SECRET, String(expire))}`
const nowSeconds = () => Math.floor(Date.now() / 1000)


describe("Version B API: reference routes, statuses and texts", () => {
  it.live("GET /health answers ok/b", () =>
    Effect.gen(function*() {
      const reply = yield* get("/health")
      expect([reply.status, reply.body]).toEqual([200, { status: "ok", version: "b" }])
    }).pipe(Effect.provide(testServer())))

  it.live("GET /csrf/token issues <session>:<expire>:<64 hex> tokens with ttl 300 that open protected routes", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const reply = yield* get(`/csrf/token?session_id=${student.sessionId}`, student)
      assert.deepInclude(reply.body, { ttl: 300 })
      const token = reply.body !== null && typeof reply.body === "object" && "token" in reply.body ? reply.body.token : ""
      const shape = new RegExp(`^${student.sessionId}:\\d+:[0-9a-f]{64}$`)
      expect(token).toMatch(shape)
      // POST /session hands out a first one of the same shape
      expect(student.csrf).toMatch(shape)
      expect((yield* post("/orchestrate", question(student), { as: student, csrf: String(token) })).status).toBe(200)
    }).pipe(Effect.provide(testServer())))

  describe("CSRF (403)", () => {
    const cases: ReadonlyArray<readonly [string, (sessionId: string) => string | null]> = [
      ["missing", () => null],
      ["expired", (sessionId) => tokenFor(sessionId, nowSeconds() - 1)],
      ["forged", (sessionId) => tokenFor(sessionId, nowSeconds() + 300, "someone-elses-secret")],
      ["unbound (the reference's format)", () => unboundTokenFor(nowSeconds() + 300)],
      ["garbage", () => "not-a-token"]
    ]
    for (const [name, csrf] of cases) {
      it.live(`a ${name} token is refused with CSRF check failed`, () =>
        Effect.gen(function*() {
          const student = yield* openStudent
          const reply = yield* post("/orchestrate", question(student), { as: student, csrf: csrf(student.sessionId) })
          expect([reply.status, reply.body]).toEqual([403, csrfFailed])
        }).pipe(Effect.provide(testServer())))
    }

    it.live("protects every state-changing or costly route, and is checked before the body", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const id = student.sessionId
        const paths = ["/orchestrate", "/orchestrate/x/wait", "/tts/stream", "/escalate", `/session/token?session_id=${id}`, `/session/${id}/close`]
        for (const path of paths) {
          const reply = yield* postRaw(path, "{not json", { as: student, csrf: null })
          expect([path, reply.status, reply.body]).toEqual([path, 403, csrfFailed])
        }
        // telemetry is append-only and stays open, as in the reference
        expect((yield* post("/events", { session_id: id, event_name: "page.view" }, { as: student, csrf: null })).status).toBe(200)
      }).pipe(Effect.provide(testServer())))
  })

  describe("bad input never becomes a 500", () => {
    it.live("a missing field is a 422 with FastAPI's detail list", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const reply = yield* post("/orchestrate", { session_id: student.sessionId }, { as: student })
        expect(reply.status).toBe(422)
        expect(reply.body).toEqual({ detail: [{ loc: ["body", "student_text"], msg: "Missing key", type: "missing" }] })
      }).pipe(Effect.provide(testServer())))

    it.live("student_text must have 1 to 2,000 characters after trimming; unknown fields are ignored", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const session_id = student.sessionId
        expect((yield* post("/orchestrate", { session_id, student_text: "   " }, { as: student })).status).toBe(422)
        expect((yield* post("/orchestrate", { session_id, student_text: "x".repeat(2_001) }, { as: student })).status).toBe(422)
        const ok = yield* post("/orchestrate", { session_id, student_text: ` ${"x".repeat(2_000)} `, extra: true }, { as: student })
        expect(ok.status).toBe(200)
      }).pipe(Effect.provide(testServer())))

    it.live("NUL in any stored text is a 422 that costs nothing: no job, no escalation, and the next request still works", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const session_id = student.sessionId
        const asked = yield* post("/orchestrate", { session_id, student_text: "What is\u0000 2 + 2?" }, { as: student })
        expect(asked.status).toBe(422)
        expect(JSON.stringify(asked.body)).toContain("must not contain NUL characters")
        expect((yield* post("/escalate", { session_id, reason: "help\u0000" }, { as: student })).status).toBe(422)
        expect((yield* post("/events", { session_id, event_name: "page\u0000loaded" }, { as: student })).status).toBe(422)
        expect((yield* post("/api/teacher/sign-in", { token: "a\u0000b" })).status).toBe(422)
        // the same session goes on as if nothing happened
        const ok = yield* waitFor(student, yield* dispatch(student, "What is 2 + 2?"))
        expect(ok.status).toBe("complete")
        // and a finished job is answered by /wait even with no time to wait
        const again = yield* post(`/orchestrate/${ok.job_id}/wait?timeout=0`, undefined, { as: student })
        expect([again.status, again.body]).toMatchObject([200, { job_id: ok.job_id, status: "complete" }])
      }).pipe(Effect.provide(testServer())))

    it.live("malformed JSON is a 400 with a JSON error", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const reply = yield* postRaw("/orchestrate", "{\"session_id\": ", { as: student })
        expect([reply.status, reply.body]).toEqual([400, { detail: "Malformed JSON body" }])
      }).pipe(Effect.provide(testServer())))

    it.live("a body over 64 KiB is a 413", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const reply = yield* post("/orchestrate", { session_id: student.sessionId, student_text: "x".repeat(70_000) }, { as: student })
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
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "What is 25% of 80?")
        expect(jobId).toHaveLength(36)
        const status = yield* waitFor(student, jobId)
        assert.deepInclude(status, { job_id: jobId, status: "complete", subject: "math", tts_ready: true, finding: null })
        expect(status.safe_text).toBe("25% of 80 is 20. That's because 0.25 times 80 equals 20.")
        expect((yield* get(`/orchestrate/${jobId}`, student)).body).toEqual({ ...status, confidence: 0.95 })
      }).pipe(Effect.provide(testServer())))

    it.live("a complete job carries its turn's stage latencies and token usage with the estimated cost", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "What is 25% of 80?")
        const status = yield* waitFor(student, jobId)
        expect(status.usage).toEqual({
          inputTokens: 1000,
          outputTokens: 200,
          byModel: [SCRIPTED_USAGE],
          estimatedCostUsd: expect.closeTo(SCRIPTED_COST_USD, 12),
          unpricedModels: []
        })
        expect(status.latency?.firstSentenceMs).toEqual(expect.any(Number))
        expect(status.latency?.totalMs).toBeGreaterThanOrEqual(status.latency?.firstSentenceMs ?? Infinity)
        expect((yield* get(`/orchestrate/${jobId}`, student)).body).toMatchObject({ latency: status.latency, usage: status.usage })
      }).pipe(Effect.provide(testServer({ specialists: { usage: SCRIPTED_USAGE } }))))

    it.live("an unfinished job has no latency or usage yet", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "What is 25% of 80?")
        expect((yield* get(`/orchestrate/${jobId}`, student)).body).toMatchObject({ status: "pending", latency: null, usage: null })
      }).pipe(Effect.provide(testServer({ specialists: { classifyDelay: "1 second", usage: SCRIPTED_USAGE } }))))

    it.live("an unknown job is a 404 Job not found on GET, /wait and /tts/stream", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const notFound = [404, { detail: "Job not found" }]
        const status = yield* get("/orchestrate/nope", student)
        expect([status.status, status.body]).toEqual(notFound)
        const wait = yield* post("/orchestrate/nope/wait", undefined, { as: student })
        expect([wait.status, wait.body]).toEqual(notFound)
        const tts = yield* post("/tts/stream", { job_id: "nope" }, { as: student })
        expect([tts.status, tts.body]).toEqual(notFound)
      }).pipe(Effect.provide(testServer())))

    it.live("/wait gives up with 408 Job timed out while the job keeps running", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "slow question")
        const reply = yield* post(`/orchestrate/${jobId}/wait?timeout=0.1`, undefined, { as: student })
        expect([reply.status, reply.body]).toEqual([408, { detail: "Job timed out" }])
        expect((yield* waitFor(student, jobId)).status).toBe("complete")
      }).pipe(Effect.provide(testServer({ specialists: { classifyDelay: "300 millis" } }))))

    it.live("a negative or non-numeric /wait timeout is a 422", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "q")
        expect((yield* post(`/orchestrate/${jobId}/wait?timeout=-1`, undefined, { as: student })).status).toBe(422)
        expect((yield* post(`/orchestrate/${jobId}/wait?timeout=soon`, undefined, { as: student })).status).toBe(422)
      }).pipe(Effect.provide(testServer())))

    it.live("/tts/stream is a 409 Job not ready for TTS while the job is pending", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "q")
        const reply = yield* post("/tts/stream", { job_id: jobId }, { as: student })
        expect([reply.status, reply.body]).toEqual([409, { detail: "Job not ready for TTS" }])
      }).pipe(Effect.provide(testServer({ specialists: { classifyDelay: "1 second" } }))))

    it.live("/tts/stream of a failed job is a 422 with the job's error; a missing job_id is a 422", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const jobId = yield* dispatch(student, "q")
        const failed = yield* waitFor(student, jobId)
        expect(failed.status).toBe("error")
        const reply = yield* post("/tts/stream", { job_id: jobId }, { as: student })
        expect(reply.status).toBe(422)
        expect(reply.body).toEqual({ detail: failed.error_message })
        expect(failed.error_message).toContain("specialist failed")
        expect((yield* post("/tts/stream", { voice: "alloy" }, { as: student })).status).toBe(422)
      }).pipe(Effect.provide(testServer({
        specialists: { answer: () => [scriptedFailure("Specialists.answer", "server_error")] }
      }))))
  })

  describe("sessions", () => {
    it.live("/session/token without Realtime is a 503 naming RealtimeNotConfigured", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        const reply = yield* post(`/session/token?session_id=${student.sessionId}`, undefined, { as: student })
        expect(reply.status).toBe(503)
        assert.deepInclude(reply.body, { error: "RealtimeNotConfigured" })
        expect((yield* post("/session/token", undefined, { as: student })).status).toBe(422)
      }).pipe(Effect.provide(testServer())))

    it.live("/session/token relays the ephemeral key, and a provider failure is a 500 with the reference text", () => {
      const failing = new Set<string>()
      return Effect.gen(function*() {
        const good = yield* openStudent
        const ok = yield* post(`/session/token?session_id=${good.sessionId}`, undefined, { as: good })
        expect(ok.body).toEqual({
          client_secret: { value: "ek-test-0123456789abcdefghij", expires_at: 1_900_000_000 },
          session_id: good.sessionId,
          model: "gpt-realtime",
          voice: "alloy"
        })
        // the provider fails for this session
        const bad = yield* openStudent
        failing.add(bad.sessionId)
        const failed = yield* post(`/session/token?session_id=${bad.sessionId}`, undefined, { as: bad })
        expect([failed.status, failed.body]).toEqual([500, { detail: "Failed to create session token" }])
        expect(failed.headers["x-request-id"]).toBeDefined()
      }).pipe(Effect.provide(testServer({
        realtime: realtimeFailingFor(failing)
      })))
    })

    it.live("/session/{id}/close reports what the server saw of the session", () =>
      Effect.gen(function*() {
        const student = yield* openStudent
        yield* waitFor(student, yield* dispatch(student, "What is 25% of 80?"))
        yield* waitFor(student, yield* dispatch(student, "Who was Napoleon?"))
        const reply = yield* post(`/session/${student.sessionId}/close`, { session_report: { rating: 5 } }, { as: student })
        expect(reply.status).toBe(200)
        assert.deepInclude(reply.body, { session_id: student.sessionId, closed: true, client_report: { rating: 5 } })
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
        const other = yield* openStudent
        expect((yield* post(`/session/${other.sessionId}/close`, undefined, { as: other })).status).toBe(200)
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
      const student = yield* openStudent
      const session_id = student.sessionId
      const ok = yield* post("/events", { session_id, event_name: "question.selected", attributes: { n: 1 } }, {
        as: student,
        csrf: null
      })
      expect([ok.status, ok.body]).toEqual([200, { ok: true }])
      expect((yield* post("/events", { event_name: "x" }, { as: student, csrf: null })).status).toBe(422)
      expect((yield* post("/events", { session_id, event_name: "x", attributes: { a: { b: 1 } } }, { as: student, csrf: null })).status)
        .toBe(422)
    }).pipe(Effect.provide(testServer())))

  it.live("POST /escalate tells the student it is pending and gives no teacher link; ws_base_url is ignored", () =>
    Effect.gen(function*() {
      const c = yield* openStudent
      const reply = yield* post("/escalate", { session_id: c.sessionId, reason: "stuck", ws_base_url: "ws://custom:9000" }, { as: c })
      expect(reply.status).toBe(200)
      assert.deepInclude(reply.body, { session_id: c.sessionId, state: "pending" })
      expect(JSON.stringify(reply.body)).not.toContain("ws://")
      expect(JSON.stringify(reply.body)).not.toContain("token")
      expect((yield* post("/escalate", { reason: "stuck" }, { as: c })).status).toBe(422)
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
          "access-control-request-headers": "content-type,authorization,x-csrf-token"
        })
      ))
      expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:3000")
      expect(preflight.headers["access-control-allow-headers"]).toContain("x-csrf-token")
      expect(preflight.headers["access-control-allow-headers"]).toContain("authorization")
      // the session cookie may come along from the web origin
      expect(preflight.headers["access-control-allow-credentials"]).toBe("true")
    }).pipe(Effect.provide(testServer())))
})
