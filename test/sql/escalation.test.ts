import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { findingOf, requestedFinding } from "../../src/domain/safety.ts"
import { escalationMemory } from "../../src/layers/memory/escalation.ts"
import { postgresDatabase } from "../../src/layers/sql/database.ts"
import { auditLog } from "../../src/layers/sql/auditLog.ts"
import { escalationSql } from "../../src/layers/sql/escalation.ts"
import { sqlRecords } from "../../src/layers/sql/index.ts"
import { storeSql } from "../../src/layers/sql/store.ts"
import { Escalation, escalationNotice, studentNotice } from "../../src/services/Escalation.ts"
import { freshPostgresDatabase, targets, TestDatabase } from "./databases.ts"

describe("Escalation across server instances sharing one PostgreSQL (LISTEN/NOTIFY)", () => {
  it.live("what one instance raises or sends reaches the other's teachers and student within 1 s", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      // each instance has its own pool and its own LISTEN connection, as two processes would
      const instance = Effect.map(
        Layer.build(escalationSql().pipe(Layer.provide(auditLog()), Layer.provideMerge(storeSql), Layer.provide(postgresDatabase({ url: Redacted.make(url) })))),
        Context.get(Escalation)
      )
      const first = yield* instance
      const second = yield* instance
      const sessionId = `cross-${crypto.randomUUID()}`

      const teachersOnSecond = yield* second.teacherFeed(sessionId)
      const studentOnSecond = yield* second.studentFeed(sessionId)
      const teachersOnFirst = yield* first.teacherFeed(sessionId)
      const teacherSaw = yield* teachersOnSecond.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      const studentSaw = yield* studentOnSecond.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      const firstSaw = yield* teachersOnFirst.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)

      const started = Date.now()
      const record = yield* first.raise({
        sessionId,
        reason: "The student asked for a teacher",
        trigger: "api",
        teacherUrl: "ws://localhost:8001/ws/teacher/x?token=t",
        finding: requestedFinding("api")
      })
      yield* first.toStudent(sessionId, { type: "inject", text: "Try drawing it.", from: "teacher" })
      const hint = { type: "teacher_hint", session_id: sessionId, text: "Ask about fractions", from: "teacher" } as const
      yield* second.toTeachers(sessionId, hint)

      expect(yield* Fiber.join(teacherSaw).pipe(Effect.timeout("1 second"))).toEqual([escalationNotice(record), hint])
      expect((yield* Fiber.join(studentSaw).pipe(Effect.timeout("1 second"))).map((message) => message.type)).toEqual([
        "escalation",
        "inject"
      ])
      // the raising instance's own teachers hear it the same way, and the hint sent from the other one
      expect(yield* Fiber.join(firstSaw).pipe(Effect.timeout("1 second"))).toEqual([escalationNotice(record), hint])
      expect(Date.now() - started).toBeLessThan(1000)

      // a teacher who connects later to the other instance finds it pending in the table
      expect(yield* second.pending(sessionId)).toEqual([record])
    }).pipe(Effect.scoped), 30_000)
})

/** Version A's escalations carry both links; the SQL layer keeps the room link in `teacher_token`. */
const implementations = [
  { name: "memory", layer: escalationMemory() },
  ...targets.map(({ layer, name }) => ({
    name,
    layer: Layer.unwrap(TestDatabase.use((db) => Effect.succeed(sqlRecords(db.connect, { version: "a" })))).pipe(
      Layer.provide(layer)
    )
  }))
]

describe.each(implementations)("Escalation links on $name", ({ layer }) => {
  it.live("an escalation keeps its LiveKit room link apart from its socket link, and one without a room has none", () =>
    Effect.gen(function*() {
      const escalation = yield* Escalation
      const sessionId = `links-${crypto.randomUUID()}`
      const teachers = yield* escalation.teacherFeed(sessionId)
      const student = yield* escalation.studentFeed(sessionId)
      const teacherSaw = yield* teachers.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      const studentSaw = yield* student.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)

      const fromAgent = yield* escalation.raise({
        sessionId,
        reason: "escalate_to_teacher",
        trigger: "classifier",
        teacherUrl: `ws://localhost:8001/ws/teacher/${sessionId}?token=grant`,
        liveKitUrl: "wss://livekit.example.test/?room=tutor-x&token=jwt",
        finding: findingOf("distress", [{ check: "classifier", label: "escalate_to_teacher", score: 1 }])
      })
      const fromApi = yield* escalation.raise({
        sessionId,
        reason: "Needs a human",
        trigger: "api",
        teacherUrl: `ws://localhost:8001/ws/teacher/${sessionId}?token=other`,
        finding: requestedFinding("api")
      })
      expect(fromAgent.liveKitUrl).toBe("wss://livekit.example.test/?room=tutor-x&token=jwt")
      expect(fromApi).not.toHaveProperty("liveKitUrl")
      // read back from where late teachers find them (the table, for SQL)
      expect(yield* escalation.pending(sessionId)).toEqual([fromAgent, fromApi])

      const teacherNotices = yield* Fiber.join(teacherSaw).pipe(Effect.timeout("1 second"))
      expect(teacherNotices).toEqual([escalationNotice(fromAgent), escalationNotice(fromApi)])
      expect(teacherNotices[0]).toMatchObject({
        teacher_ws_url: fromAgent.teacherUrl,
        livekit_url: "wss://livekit.example.test/?room=tutor-x&token=jwt"
      })
      expect(teacherNotices[1]).not.toHaveProperty("livekit_url")
      const studentNotices = yield* Fiber.join(studentSaw).pipe(Effect.timeout("1 second"))
      expect(studentNotices).toEqual([studentNotice(fromAgent), studentNotice(fromApi)])
      expect(studentNotices[0]).toMatchObject({ livekit_url: "wss://livekit.example.test/?room=tutor-x&token=jwt" })
    }).pipe(Effect.provide(layer), Effect.scoped), 60_000)
})
