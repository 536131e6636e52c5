import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { csrfToken, openStudent, post, type Student, testServer } from "./harness.ts"

const question = (as: Student) => ({ session_id: as.sessionId, student_text: "What is 2 + 2?" })

describe("rate limits per client address", () => {
  // it.effect runs the server on the TestClock: the minute window passes only when the test says so
  it.effect("the 21st orchestrate within a minute is a 429 with Retry-After; the next window is open again", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      for (let i = 1; i <= 20; i++) {
        expect([i, (yield* post("/orchestrate", question(student), { as: student })).status]).toEqual([i, 200])
      }
      const limited = yield* post("/orchestrate", question(student), { as: student })
      expect([limited.status, limited.body]).toEqual([429, { error: "Rate limit exceeded: 20 per 1 minute" }])
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0)
      expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(60)
      // limits are per route: telemetry still flows
      expect((yield* post("/events", { session_id: student.sessionId, event_name: "x" }, { as: student, csrf: null })).status)
        .toBe(200)
      yield* TestClock.adjust("61 seconds")
      expect((yield* post("/orchestrate", question(student), { as: student, csrf: yield* csrfToken(student) })).status).toBe(200)
    }).pipe(Effect.provide(testServer())))

  it.effect("requests refused by CSRF, credential or validation do not count (the reference's order)", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const other = yield* openStudent
      for (let i = 0; i < 25; i++) expect((yield* post("/orchestrate", question(student), { as: student, csrf: null })).status).toBe(403)
      // a CSRF token but no credential, or another session's credential
      for (let i = 0; i < 25; i++) expect((yield* post("/orchestrate", question(student), { csrf: student.csrf })).status).toBe(401)
      for (let i = 0; i < 25; i++) expect((yield* post("/orchestrate", question(student), { as: other })).status).toBe(403)
      for (let i = 0; i < 25; i++) {
        expect((yield* post("/orchestrate", { session_id: student.sessionId }, { as: student })).status).toBe(422)
      }
      expect((yield* post("/orchestrate", question(student), { as: student })).status).toBe(200)
    }).pipe(Effect.provide(testServer())))

  it.effect("escalate allows 10 and session tokens 10 per minute", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const escalate = () => post("/escalate", { session_id: student.sessionId, reason: "help" }, { as: student })
      for (let i = 0; i < 10; i++) expect((yield* escalate()).status).toBe(200)
      expect((yield* escalate()).status).toBe(429)
      const token = () => post(`/session/token?session_id=${student.sessionId}`, undefined, { as: student })
      for (let i = 0; i < 10; i++) expect((yield* token()).status).toBe(503)
      expect((yield* token()).body).toEqual({ error: "Rate limit exceeded: 10 per 1 minute" })
    }).pipe(Effect.provide(testServer())))

  it.effect("behind TRUST_PROXY=1 each X-Forwarded-For client has its own window", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const from = (address: string) =>
        post("/escalate", { session_id: student.sessionId, reason: "help" }, {
          as: student,
          headers: { "x-forwarded-for": `${address}, 10.0.0.1` }
        })
      for (let i = 0; i < 10; i++) expect((yield* from("203.0.113.7")).status).toBe(200)
      expect((yield* from("203.0.113.7")).status).toBe(429)
      expect((yield* from("198.51.100.2")).status).toBe(200)
    }).pipe(Effect.provide(testServer({ settings: { trustProxy: true } }))))
})
