import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue } from "effect"
import { SafetyWithModel } from "../../src/layers/local/safety/SafetyLocal.ts"
import { ESCALATION_SENTENCE } from "../../src/tutor/answerTurn.ts"
import { SAFETY_REPLY } from "../../src/tutor/safety.ts"
import { connectTeacher, dispatch, get, openSse, openStudent, post, type Student, testServer, waitFor } from "./harness.ts"
import { claimSession, newTeacher, openSocket, type SignedIn, socketGrant, teacherPost } from "./teachers.ts"

const connected = (sessionId: string) => ({
  type: "connected",
  session_id: sessionId,
  message: "Connected as observer. You will receive transcript updates."
})

/** The student asks for a teacher; the teacher claims it in the inbox and opens the session's socket. */
const claimAndWatch = (as: Student, teacher: SignedIn, reason: string) =>
  Effect.gen(function*() {
    yield* post("/escalate", { session_id: as.sessionId, reason }, { as })
    yield* claimSession(teacher, as.sessionId)
    return yield* openSocket(teacher, as.sessionId)
  })

describe("teacher WebSocket", () => {
  it.live("is refused without a token, with a forged one and with another session's grant", () =>
    Effect.gen(function*() {
      const ada = yield* newTeacher("Ada")
      const student = yield* openStudent
      const other = yield* openStudent
      yield* post("/escalate", { session_id: other.sessionId, reason: "help" }, { as: other })
      yield* claimSession(ada, other.sessionId)
      const otherSession = yield* socketGrant(ada, other.sessionId)
      const attempts = [
        `/ws/teacher/${student.sessionId}`,
        `/ws/teacher/${student.sessionId}?token=123:abc`,
        otherSession.replace(`/ws/teacher/${other.sessionId}`, `/ws/teacher/${student.sessionId}`)
      ]
      for (const path of attempts) {
        const outcome = yield* connectTeacher(path, { cookie: ada.cookie }).pipe(Effect.scoped, Effect.result)
        expect([path, outcome._tag]).toEqual([path, "Failure"])
        // what the refusal is: a plain 403 before any upgrade
        expect((yield* get(path)).status).toBe(403)
      }
    }).pipe(Effect.provide(testServer())))

  it.live("the claimer sees connected, live transcripts, escalations and hints; inject reaches the student", () =>
    Effect.gen(function*() {
      const as = yield* openStudent
      const sessionId = as.sessionId
      const student = yield* openSse(`/session/${sessionId}/events`, as)
      const teacher = yield* claimAndWatch(as, yield* newTeacher("Ada"), "Student is stuck")
      expect(yield* Queue.take(teacher.inbox)).toEqual(connected(sessionId))
      // the escalation raised before connecting is still open, so the teacher sees it
      expect(yield* Queue.take(teacher.inbox)).toMatchObject({ type: "escalation", reason: "Student is stuck", trigger: "api" })
      expect(yield* Queue.take(student)).toMatchObject({ event: "escalation", data: { state: "pending", reason: "Student is stuck" } })
      expect(yield* Queue.take(student)).toMatchObject({ event: "teacher_joined" })

      yield* waitFor(as, yield* dispatch(as, "What is 25% of 80?"))
      expect(yield* Queue.take(teacher.inbox)).toEqual({ type: "transcript", speaker: "student", text: "What is 25% of 80?", subject: null })
      expect(yield* Queue.take(teacher.inbox)).toEqual({
        type: "transcript",
        speaker: "tutor",
        text: "25% of 80 is 20. That's because 0.25 times 80 equals 20.",
        subject: "math"
      })

      yield* post("/escalate", { session_id: sessionId, reason: "Needs a human" }, { as })
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
      const student = yield* openStudent
      const sessionId = student.sessionId
      yield* waitFor(student, yield* dispatch(student, "What is 25% of 80?"))
      const teacher = yield* claimAndWatch(student, yield* newTeacher("Ada"), "late")
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

  it.live("an escalation from the pipeline is a real one: the claimer's socket and the inbox hear of it, the student is told", () =>
    Effect.gen(function*() {
      const as = yield* openStudent
      const sessionId = as.sessionId
      const ada = yield* newTeacher("Ada")
      const watcher = yield* claimAndWatch(as, ada, "watching")
      const student = yield* openSse(`/session/${sessionId}/events`, as)
      yield* Queue.takeN(watcher.inbox, 2) // connected + its own escalation
      const job = yield* waitFor(as, yield* dispatch(as, "I need a real teacher"))
      expect(job).toMatchObject({ status: "complete", subject: "escalate", safe_text: ESCALATION_SENTENCE })
      yield* Queue.take(watcher.inbox) // the student's turn
      const notice = yield* Queue.take(watcher.inbox)
      expect(notice).toMatchObject({ type: "escalation", session_id: sessionId, trigger: "classifier" })
      expect(JSON.stringify(notice)).not.toContain("token")
      // the student's channel: the earlier escalation was claimed, so only the new one is pending
      const pushed = yield* Queue.take(student)
      expect(pushed).toMatchObject({ event: "escalation", data: { state: "pending", trigger: "classifier" } })
      // a second teacher can claim the new one and gets the session too
      const bob = yield* newTeacher("Bob")
      yield* claimSession(bob, sessionId)
      const second = yield* openSocket(bob, sessionId)
      expect(yield* Queue.take(second.inbox)).toEqual(connected(sessionId))
    }).pipe(Effect.provide(testServer({
      specialists: { classify: () => ({ subject: "escalate", confidence: 0.9, raw: "escalate" }) }
    }))))

  it.live("a resolved claim closes the session to its teacher: no new grant, no socket", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const ada = yield* newTeacher("Ada")
      yield* post("/escalate", { session_id: student.sessionId, reason: "help" }, { as: student })
      const { escalationId } = yield* claimSession(ada, student.sessionId)
      const grant = yield* socketGrant(ada, student.sessionId)
      const resolved = yield* teacherPost(`/api/teacher/escalations/${escalationId}/resolve`, { note: "All fine" }, ada)
      expect(resolved.status).toBe(200)
      expect((yield* connectTeacher(grant, { cookie: ada.cookie }).pipe(Effect.scoped, Effect.result))._tag).toBe("Failure")
      expect((yield* get(grant)).status).toBe(403)
    }).pipe(Effect.provide(testServer())))
})

describe("a disclosure through the HTTP API (the real safety model)", () => {
  it.live("escalates before any specialist; the job, the teachers and the session report carry category, severity and evidence", () =>
    Effect.gen(function*() {
      const student = yield* openStudent
      const sessionId = student.sessionId
      const watcher = yield* claimAndWatch(student, yield* newTeacher("Ada"), "watching")
      yield* Queue.takeN(watcher.inbox, 2) // connected + its own escalation
      const job = yield* waitFor(student, yield* dispatch(student, "My parents slap me when they're mad"))
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
      const report = yield* post(`/session/${sessionId}/close`, {}, { as: student })
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
