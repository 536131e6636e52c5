import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue, Schema } from "effect"
import { SafetyWithModel } from "../../src/layers/local/safety/SafetyLocal.ts"
import { ESCALATION_SENTENCE } from "../../src/tutor/answerTurn.ts"
import { SAFETY_REPLY } from "../../src/tutor/safety.ts"
import { connectTeacher, dispatch, get, openSse, post, testServer, waitFor } from "./harness.ts"

const Grant = Schema.Struct({ teacher_ws_url: Schema.String })

/** The path and query of the signed teacher URL returned by /escalate. */
const escalate = (sessionId: string, reason: string) =>
  Effect.gen(function*() {
    const reply = yield* post("/escalate", { session_id: sessionId, reason })
    const url = new URL((yield* Schema.decodeUnknownEffect(Grant)(reply.body)).teacher_ws_url)
    return `${url.pathname}${url.search}`
  })

const connected = (sessionId: string) => ({
  type: "connected",
  session_id: sessionId,
  message: "Connected as observer. You will receive transcript updates."
})

describe("teacher WebSocket", () => {
  it.live("is refused without a token, with a forged one and with another session's grant", () =>
    Effect.gen(function*() {
      const otherSession = yield* escalate("s-other", "help")
      const attempts = [
        "/ws/teacher/s-1",
        "/ws/teacher/s-1?token=123:abc",
        otherSession.replace("/ws/teacher/s-other", "/ws/teacher/s-1")
      ]
      for (const path of attempts) {
        const outcome = yield* connectTeacher(path).pipe(Effect.scoped, Effect.result)
        expect([path, outcome._tag]).toEqual([path, "Failure"])
        // what the refusal is: a plain 403 before any upgrade
        expect((yield* get(path)).status).toBe(403)
      }
    }).pipe(Effect.provide(testServer())))

  it.live("a granted teacher sees connected, live transcripts, escalations and hints; inject reaches the student", () =>
    Effect.gen(function*() {
      const sessionId = "s-teach"
      const student = yield* openSse(`/session/${sessionId}/events`)
      const teacher = yield* connectTeacher(yield* escalate(sessionId, "Student is stuck"))
      expect(yield* Queue.take(teacher.inbox)).toEqual(connected(sessionId))
      // the escalation raised before connecting is pending, so the late teacher still gets it
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "escalation", reason: "Student is stuck", trigger: "api" })
      expect(yield* Queue.take(student)).toMatchObject({ event: "escalation", data: { state: "pending", reason: "Student is stuck" } })

      yield* waitFor(yield* dispatch(sessionId, "What is 25% of 80?"))
      expect(yield* Queue.take(teacher.inbox)).toEqual({ type: "transcript", speaker: "student", text: "What is 25% of 80?", subject: null })
      expect(yield* Queue.take(teacher.inbox)).toEqual({
        type: "transcript",
        speaker: "tutor",
        text: "25% of 80 is 20. That's because 0.25 times 80 equals 20.",
        subject: "math"
      })

      yield* post("/escalate", { session_id: sessionId, reason: "Needs a human" })
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "escalation", session_id: sessionId, reason: "Needs a human" })

      yield* teacher.send({ type: "hint", text: "Try a smaller example" })
      expect(yield* Queue.take(teacher.inbox)).toEqual({
        type: "teacher_hint",
        session_id: sessionId,
        text: "Try a smaller example",
        from: "teacher"
      })
      yield* teacher.send({ type: "inject", text: "Hi, I'm your teacher." })
      yield* Queue.take(student) // the second escalation
      expect(yield* Queue.take(student)).toEqual({
        event: "inject",
        data: { type: "inject", text: "Hi, I'm your teacher.", from: "teacher" }
      })
    }).pipe(Effect.provide(testServer())))

  it.live("a teacher joining late gets the transcript so far; bad messages get an error, not a dropped connection", () =>
    Effect.gen(function*() {
      const sessionId = "s-late"
      yield* waitFor(yield* dispatch(sessionId, "What is 25% of 80?"))
      const teacher = yield* connectTeacher(yield* escalate(sessionId, "late"))
      expect(yield* Queue.take(teacher.inbox)).toEqual(connected(sessionId))
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "transcript", speaker: "student" })
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "transcript", speaker: "tutor", subject: "math" })
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "escalation", reason: "late" })
      yield* teacher.sendRaw("this is not json")
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "error" })
      yield* teacher.send({ type: "dance" })
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "error" })
      yield* teacher.send({ type: "ping" })
      expect(yield* Queue.take(teacher.inbox)).toEqual({ type: "pong" })
    }).pipe(Effect.provide(testServer())))

  it.live("an escalation from the pipeline is a real one: teachers notified with a grant, student told", () =>
    Effect.gen(function*() {
      const sessionId = "s-pipe"
      const grant = yield* escalate(sessionId, "watching")
      const student = yield* openSse(`/session/${sessionId}/events`)
      yield* Queue.take(student) // the pending "watching" escalation
      const watcher = yield* connectTeacher(grant)
      yield* Queue.takeN(watcher.inbox, 2) // connected + its own escalation
      const job = yield* waitFor(yield* dispatch(sessionId, "I need a real teacher"))
      expect(job).toMatchObject({ status: "complete", subject: "escalate", safe_text: ESCALATION_SENTENCE })
      yield* Queue.take(watcher.inbox) // the student's turn
      const notice = yield* Queue.take(watcher.inbox)
      expect(notice).toMatchObject({ type: "escalation", session_id: sessionId, trigger: "classifier" })
      const pushed = yield* Queue.take(student)
      expect(pushed).toMatchObject({ event: "escalation", data: { state: "pending", trigger: "classifier" } })
      // the grant in the notice opens the socket
      const url = new URL((yield* Schema.decodeUnknownEffect(Grant)(notice)).teacher_ws_url)
      const second = yield* connectTeacher(`${url.pathname}${url.search}`)
      expect(yield* Queue.take(second.inbox)).toEqual(connected(sessionId))
    }).pipe(Effect.provide(testServer({
      specialists: { classify: () => ({ subject: "escalate", confidence: 0.9, raw: "escalate" }) }
    }))))

  it.live("an escalation shown to one teacher is acknowledged: a teacher connecting later is not told again", () =>
    Effect.gen(function*() {
      const sessionId = "s-ack"
      const grant = yield* escalate(sessionId, "first")
      const first = yield* connectTeacher(grant)
      expect(yield* Queue.takeN(first.inbox, 2)).toMatchObject([connected(sessionId), { type: "escalation", reason: "first" }])
      const later = yield* connectTeacher(grant)
      expect(yield* Queue.take(later.inbox)).toEqual(connected(sessionId))
      // pending escalations are sent before commands are read: a pong next means there were none
      yield* later.send({ type: "ping" })
      expect(yield* Queue.take(later.inbox)).toEqual({ type: "pong" })
      // new ones still reach every teacher online, each once
      yield* post("/escalate", { session_id: sessionId, reason: "second" })
      expect(yield* Queue.take(first.inbox)).toMatchObject({ type: "escalation", reason: "second" })
      expect(yield* Queue.take(later.inbox)).toMatchObject({ type: "escalation", reason: "second" })
      const third = yield* connectTeacher(grant)
      yield* third.send({ type: "ping" })
      expect(yield* Queue.takeN(third.inbox, 2)).toEqual([connected(sessionId), { type: "pong" }])
    }).pipe(Effect.provide(testServer())))
})

describe("a disclosure through the HTTP API (the real safety model)", () => {
  it.live("escalates before any specialist; the job, the teachers and the session report carry category, severity and evidence", () =>
    Effect.gen(function*() {
      const sessionId = "s-disclosure"
      const grant = yield* escalate(sessionId, "watching")
      const watcher = yield* connectTeacher(grant)
      yield* Queue.takeN(watcher.inbox, 2) // connected + its own escalation
      const job = yield* waitFor(yield* dispatch(sessionId, "My parents slap me when they're mad"))
      expect(job).toMatchObject({
        status: "complete",
        subject: "escalate",
        safe_text: `${SAFETY_REPLY.abuse_neglect} ${ESCALATION_SENTENCE}`,
        finding: { category: "abuse_neglect", severity: "urgent" }
      })
      yield* Queue.take(watcher.inbox) // the student's turn
      const notice = yield* Queue.take(watcher.inbox)
      expect(notice).toMatchObject({ type: "escalation", trigger: "flagged_input", category: "abuse_neglect", severity: "urgent" })
      expect(notice).toHaveProperty("evidence.0.check", "local_model")
      const report = yield* post(`/session/${sessionId}/close`, {})
      expect(report.body).toMatchObject({ report: { escalated: true } })
      // most severe first: the disclosure before the earlier "watching" request
      expect(report.body).toHaveProperty("report.escalations.0.category", "abuse_neglect")
      expect(report.body).toHaveProperty("report.escalations.0.severity", "urgent")
      expect(report.body).toHaveProperty("report.escalations.1.category", "human_request")
    }).pipe(Effect.provide(testServer({
      safetyLayer: SafetyWithModel,
      // a specialist asked anything would be a bug: the safety check answers before any provider
      specialists: { classify: () => ({ subject: "math", confidence: 0.99, raw: "math" }), answer: () => [{ text: "Never said." }] }
    }))), 60_000)
})
