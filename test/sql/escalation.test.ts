import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { postgresDatabase } from "../../src/layers/sql/database.ts"
import { escalationSql } from "../../src/layers/sql/escalation.ts"
import { storeSql } from "../../src/layers/sql/store.ts"
import { Escalation, escalationNotice } from "../../src/services/Escalation.ts"
import { freshPostgresDatabase } from "./databases.ts"

describe("Escalation across server instances sharing one PostgreSQL (LISTEN/NOTIFY)", () => {
  it.live("what one instance raises or sends reaches the other's teachers and student within 1 s", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      // each instance has its own pool and its own LISTEN connection, as two processes would
      const instance = Effect.map(
        Layer.build(escalationSql().pipe(Layer.provide(storeSql), Layer.provide(postgresDatabase({ url: Redacted.make(url) })))),
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
        teacherUrl: "ws://localhost:8001/ws/teacher/x?token=t"
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
