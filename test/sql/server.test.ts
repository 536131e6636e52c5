import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option, Queue, Redacted, Schema, Scope, Stream } from "effect"
import { requestedFinding } from "../../src/domain/safety.ts"
import { HttpClient } from "effect/http"
import { postgresDatabase } from "../../src/layers/sql/database.ts"
import { sqlPersistence, sqlRecords } from "../../src/layers/sql/index.ts"
import { storeSql } from "../../src/layers/sql/store.ts"
import { DEFAULT_ANSWER } from "../../src/layers/test/specialists.ts"
import { knownPcm } from "../../src/layers/test/speech.ts"
import { Escalation } from "../../src/services/Escalation.ts"
import { INTERRUPTED_BY_RESTART } from "../../src/services/JobStore.ts"
import { SessionReport } from "../../src/services/Sessions.ts"
import { Store } from "../../src/services/Store.ts"
import {
  dispatch,
  get,
  openSse,
  openStudent,
  post,
  postRequest,
  SCRIPTED_REALTIME_KEY,
  scriptedRealtime,
  type Student,
  type TestServerOptions,
  testServer,
  waitFor
} from "../http/harness.ts"
import { claimSession, newTeacher, openSocket } from "../http/teachers.ts"
import { freshPostgresDatabase } from "./databases.ts"

/*
 * The real Version B server (`makeServer`) on SQL persistence over a fresh PostgreSQL database,
 * started, stopped and started again, or run twice side by side, as processes would be.
 */

const database = (url: string) => postgresDatabase({ url: Redacted.make(url) })

const serverOn = (url: string, instanceId: string, options: Omit<TestServerOptions<never>, "persistence"> = {}) =>
  testServer({ ...options, persistence: sqlPersistence(database(url), { instanceId, version: "b" }) })

/** Builds a server that can be stopped mid-test; the test's scope stops it too if the test fails first. */
const start = <ROut, E>(server: Layer.Layer<ROut, E>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(server, scope)
    return {
      run: <A, E2, R>(effect: Effect.Effect<A, E2, R>) => Effect.provideContext(effect, context),
      stop: Scope.close(scope, Exit.void)
    }
  })

/** The student asks for a teacher; a teacher of that server claims it and opens the session's socket. */
const teacherOf = (student: Student, name: string) =>
  Effect.gen(function*() {
    yield* post("/escalate", { session_id: student.sessionId, reason: "Needs a human" }, { as: student })
    const teacher = yield* newTeacher(name)
    yield* claimSession(teacher, student.sessionId)
    return yield* openSocket(teacher, student.sessionId)
  })

const storeOn = (url: string) =>
  Effect.map(Layer.build(storeSql.pipe(Layer.provide(database(url)))), Context.get(Store))

const ClosedReply = Schema.Struct({ report: SessionReport })

describe("Version B server on PostgreSQL", () => {
  it.live("a restart keeps finished jobs readable and speakable, fails the cut one, and keeps the transcript", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      // the same instance id both times: this is one process, restarted
      const server = serverOn(url, "restart-test", {
        specialists: {
          answer: (_subject, question) =>
            question.includes("story")
              ? [{ text: "Once upon a time there was a tutor. Then" }, { text: " it went on.", delay: "1 hour" }]
              : DEFAULT_ANSWER
        }
      })

      const first = yield* start(server)
      const { answered, cutId, student } = yield* first.run(Effect.gen(function*() {
        const student = yield* openStudent
        const answered = yield* waitFor(student, yield* dispatch(student, "What is 25% of 80?"))
        const cutId = yield* dispatch(student, "Tell me a long story")
        // mid-answer: its first sentence is out, the specialist is still writing
        const events = yield* openSse(`/orchestrate/${cutId}/events`, student)
        while ((yield* Queue.take(events)).event !== "sentence");
        return { answered, cutId, student }
      }).pipe(Effect.scoped))
      const sessionId = student.sessionId
      expect(answered.status).toBe("complete")
      yield* first.stop

      const second = yield* start(server)
      // the student's credential (and CSRF token) outlive the restart: they are signed, not stored
      yield* second.run(Effect.gen(function*() {
        const readable = yield* get(`/orchestrate/${answered.job_id}`, student)
        expect(readable.body).toEqual({ ...answered, confidence: 0.95 })

        const speech = yield* HttpClient.execute(
          yield* postRequest("/tts/stream", JSON.stringify({ job_id: answered.job_id }), { as: student })
        )
        expect(speech.status).toBe(200)
        const pcm = yield* speech.stream.pipe(Stream.runCollect)
        const sentences = ["25% of 80 is 20.", "That's because 0.25 times 80 equals 20."]
        expect(Buffer.concat(pcm)).toEqual(Buffer.concat(sentences.map((sentence) => knownPcm(sentence))))

        const cut = yield* get(`/orchestrate/${cutId}`, student)
        expect(cut.body).toMatchObject({ status: "error", error_message: INTERRUPTED_BY_RESTART, tts_ready: false })

        const teacher = yield* teacherOf(student, "Ada")
        const seen = yield* Queue.takeN(teacher.inbox, 5)
        expect(seen).toEqual([
          expect.objectContaining({ type: "connected" }),
          { type: "transcript", speaker: "student", text: "What is 25% of 80?", subject: null },
          { type: "transcript", speaker: "tutor", text: sentences.join(" "), subject: "math" },
          { type: "transcript", speaker: "student", text: "Tell me a long story", subject: null },
          expect.objectContaining({ type: "escalation", session_id: sessionId })
        ])
      }).pipe(Effect.scoped))
    }), 45_000)

  it.live("an escalation raised on one instance reaches the inbox and the claimer's socket on another within 1 s", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      const routing = {
        specialists: {
          classify: (text: string) =>
            text.includes("teacher")
              ? { subject: "escalate" as const, confidence: 0.9, raw: "escalate" }
              : { subject: "math" as const, confidence: 0.95, raw: "math" }
        }
      }
      const one = yield* start(serverOn(url, "one", routing))
      const two = yield* start(serverOn(url, "two", routing))
      // the student's session is opened on the first instance
      const student = yield* one.run(openStudent)
      const sessionId = student.sessionId
      const ada = yield* two.run(newTeacher("Ada"))
      const inboxOnTwo = yield* two.run(openSse("/api/teacher/escalations/events", undefined, { cookie: ada.cookie }))
      expect(yield* Queue.take(inboxOnTwo)).toMatchObject({ event: "inbox", data: { escalations: [] } })

      const started = Date.now()
      const raised = yield* one.run(post("/escalate", { session_id: sessionId, reason: "Stuck on fractions" }, { as: student }))
      expect(raised.status).toBe(200)
      const notice = yield* Queue.take(inboxOnTwo).pipe(Effect.timeout("1 second"))
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(notice).toMatchObject({
        event: "inbox",
        data: { escalations: [{ session_id: sessionId, reason: "Stuck on fractions", trigger: "api", state: "open" }] }
      })
      yield* two.run(claimSession(ada, sessionId))
      const teacher = yield* two.run(openSocket(ada, sessionId))
      expect(yield* Queue.takeN(teacher.inbox, 2)).toMatchObject([{ type: "connected" }, { type: "escalation", session_id: sessionId }])

      // and the pipeline's own escalations on the first instance too, with the student's turn before it
      yield* one.run(waitFor(student, yield* one.run(dispatch(student, "I want a real teacher"))))
      expect(yield* Queue.takeN(teacher.inbox, 2).pipe(Effect.timeout("1 second"))).toMatchObject([
        { type: "transcript", speaker: "student", text: "I want a real teacher" },
        { type: "escalation", trigger: "classifier" }
      ])
    }), 30_000)

  it.live("Version A's records on the same database (as its agent uses them) reach Version B's teachers' inbox", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      const sessionId = "s-from-a"
      const server = yield* start(serverOn(url, "b"))
      const ada = yield* server.run(newTeacher("Ada"))
      const inboxOnB = yield* server.run(openSse("/api/teacher/escalations/events", undefined, { cookie: ada.cookie }))
      expect(yield* Queue.take(inboxOnB)).toMatchObject({ event: "inbox", data: { escalations: [] } })
      const agent = yield* Layer.build(sqlRecords(database(url), { version: "a" }))
      const escalation = Context.get(agent, Escalation)
      yield* escalation.raise({
        sessionId,
        reason: "Asked for a teacher",
        trigger: "student_request",
        finding: requestedFinding("student_request")
      })
      expect(yield* Queue.take(inboxOnB).pipe(Effect.timeout("1 second"))).toMatchObject({
        event: "inbox",
        data: { escalations: [{ session_id: sessionId, reason: "Asked for a teacher", trigger: "student_request" }] }
      })
      // the claimer gets the room and the socket from B; the agent put no link anywhere
      yield* server.run(claimSession(ada, sessionId))
      const teacher = yield* server.run(openSocket(ada, sessionId))
      expect(yield* Queue.takeN(teacher.inbox, 2)).toMatchObject([{ type: "connected" }, { type: "escalation", reason: "Asked for a teacher" }])
    }), 30_000)

  it.live("closing a 3-turn session writes ended_at and a report that matches the rows", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      const flagged = "That's because 0.25 times 80 equals 20."
      const server = yield* start(serverOn(url, "close-test", {
        realtime: scriptedRealtime,
        guardrail: { flag: (text) => text === flagged ? ["violence"] : undefined, rewrite: () => "Here is why." }
      }))
      const { reply, sessionId } = yield* server.run(Effect.gen(function*() {
        const student = yield* openStudent
        const sessionId = student.sessionId
        expect((yield* post(`/session/token?session_id=${sessionId}`, undefined, { as: student })).status).toBe(200)
        for (const question of ["What is 25% of 80?", "And 50% of 80?", "And 75% of 80?"]) {
          yield* waitFor(student, yield* dispatch(student, question))
        }
        return { reply: yield* post(`/session/${sessionId}/close`, undefined, { as: student }), sessionId }
      }))
      expect(reply.status).toBe(200)
      const { report } = yield* Schema.decodeUnknownEffect(ClosedReply)(reply.body)

      const store = yield* storeOn(url)
      const session = Option.getOrThrow(yield* store.session(sessionId))
      expect(session.version).toBe("b")
      expect(session.sessionToken).toBe(SCRIPTED_REALTIME_KEY.slice(0, 20))
      expect(session.endedAt).not.toBeNull()
      expect(session.report).toEqual(report)

      const transcript = yield* store.transcript(sessionId)
      const routing = yield* store.routingDecisions(sessionId)
      const guardrail = yield* store.guardrailEvents(sessionId)
      expect(transcript.map((turn) => turn.turnIndex)).toEqual([0, 1, 2, 3, 4, 5])
      expect(transcript.map((turn) => turn.speaker)).toEqual(["student", "tutor", "student", "tutor", "student", "tutor"])
      expect(report.turns).toBe(transcript.length)
      expect(report.subjects).toEqual(["math"])
      expect(report.routing_decisions).toEqual(routing.map((row) => ({
        to: row.toAgent,
        confidence: row.confidence,
        fallback: row.fallback,
        excerpt: row.excerpt
      })))
      expect(report.guardrail_flags).toBe(guardrail.length)
      expect(guardrail).toHaveLength(3)
      expect(guardrail[0]).toMatchObject({
        sentenceIndex: 1,
        action: "rewritten",
        original: flagged,
        replacement: "Here is why.",
        categories: ["violence"],
        scores: { violence: 0.9 }
      })
      expect(report.latency_ms.total.samples).toBe(3)
    }), 30_000)
})
