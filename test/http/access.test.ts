import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { TokenVerifier } from "livekit-server-sdk"
import type { LiveKitSettings } from "../../src/agent/config.ts"
import { get, getProtected, openStudent, scriptedRealtime, testServer } from "./harness.ts"

const livekit: LiveKitSettings = {
  url: "wss://livekit.example.test",
  apiKey: "APItestkey",
  apiSecret: Redacted.make("test-livekit-secret-that-is-long-enough")
}

const StudentToken = Schema.Struct({ token: Schema.String, url: Schema.String, room: Schema.String })

describe("what the page can use on this server", () => {
  it.live("without keys: /config says neither Realtime nor LiveKit, /livekit/token is a 503 (after CSRF), /health unchanged", () =>
    Effect.gen(function*() {
      expect((yield* get("/config")).body).toEqual({ realtime: false, livekit: false })
      expect((yield* get("/health")).body).toEqual({ status: "ok", version: "b" })
      const student = yield* openStudent
      const refused = yield* get(`/livekit/token?session_id=${student.sessionId}`, student)
      expect([refused.status, refused.body]).toEqual([403, { detail: "CSRF check failed" }])
      const unavailable = yield* getProtected(`/livekit/token?session_id=${student.sessionId}`, student)
      expect([unavailable.status, unavailable.body]).toEqual([503, { detail: "LiveKit is not configured on this server" }])
    }).pipe(Effect.provide(testServer())))

  it.live("with LiveKit and Realtime: /config says both; the token joins the session's own room and verifies", () =>
    Effect.gen(function*() {
      expect((yield* get("/config")).body).toEqual({ realtime: true, livekit: true })
      const student = yield* openStudent
      const room = `tutor-${student.sessionId}`
      expect((yield* get(`/livekit/token?session_id=${student.sessionId}`, student)).status).toBe(403)
      const reply = yield* getProtected(`/livekit/token?session_id=${student.sessionId}`, student)
      expect(reply.status).toBe(200)
      const body = yield* Schema.decodeUnknownEffect(StudentToken)(reply.body)
      expect([body.url, body.room]).toEqual([livekit.url, room])
      const claims = yield* Effect.promise(() =>
        new TokenVerifier(livekit.apiKey, Redacted.value(livekit.apiSecret)).verify(body.token))
      expect(claims.video).toMatchObject({ roomJoin: true, room, canPublish: true, canSubscribe: true })
      // a token signed with another secret is not one of ours
      const forged = yield* Effect.promise(() =>
        new TokenVerifier(livekit.apiKey, "another-secret-that-is-long-enough").verify(body.token).then(() => "accepted", () => "rejected"))
      expect(forged).toBe("rejected")
      // a session id that cannot name a room is refused before anything is signed
      const bad = yield* getProtected("/livekit/token?session_id=not%20a%20room!", student)
      expect(bad.status).toBe(422)
      expect((yield* getProtected("/livekit/token", student)).status).toBe(422)
    }).pipe(Effect.provide(testServer({ realtime: scriptedRealtime, settings: { livekit } }))))

  it.live("mints at most 10 tokens a minute per client", () =>
    Effect.gen(function*() {
      const students = yield* Effect.forEach(Array.from({ length: 11 }), () => openStudent)
      const statuses = yield* Effect.forEach(students, (student) =>
        Effect.map(getProtected(`/livekit/token?session_id=${student.sessionId}`, student), (reply) => reply.status))
      expect(statuses).toEqual([...Array.from({ length: 10 }, () => 200), 429])
    }).pipe(Effect.provide(testServer({ settings: { livekit } }))))
})
