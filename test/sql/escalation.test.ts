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

/** One server instance's Escalation: its own pool and its own LISTEN connection, as a process of its own would have. */
const instanceOn = (url: string) =>
  Effect.map(
    Layer.build(escalationSql().pipe(Layer.provide(auditLog()), Layer.provideMerge(storeSql), Layer.provide(postgresDatabase({ url: Redacted.make(url) })))),
    Context.get(Escalation)
  )

describe("Escalation across server instances sharing one PostgreSQL (LISTEN/NOTIFY)", () => {
  it.live("what one instance raises or sends reaches the other's teachers and student within 1 s", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      const instance = instanceOn(url)
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

  it.live("two instances claiming the same escalation at once: exactly one teacher gets it; both inboxes hear of it", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresDatabase
      const instance = instanceOn(url)
      const first = yield* instance
      const second = yield* instance
      const changesOnSecond = yield* second.inboxChanges
      const heard = yield* changesOnSecond.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      const record = yield* first.raise({
        sessionId: `race-${crypto.randomUUID()}`,
        reason: "The student asked for a teacher",
        trigger: "api",
        finding: requestedFinding("api")
      })
      const [ada, bob] = [crypto.randomUUID(), crypto.randomUUID()]
      const outcomes = yield* Effect.all([first.claim(record.id, ada), second.claim(record.id, bob)], { concurrency: 2 })
      expect(outcomes.map((outcome) => outcome._tag).toSorted()).toEqual(["Claimed", "Taken"])
      // raised and claimed: the other instance's inbox was told twice
      expect(yield* Fiber.join(heard).pipe(Effect.timeout("2 seconds"))).toHaveLength(2)
    }).pipe(Effect.scoped), 30_000)
})

/** The claim rules are the same in memory and on every SQL target. */
const implementations = [
  { name: "memory", layer: escalationMemory() },
  ...targets.map(({ layer, name }) => ({
    name,
    layer: Layer.unwrap(TestDatabase.use((db) => Effect.succeed(sqlRecords(db.connect, { version: "a" })))).pipe(
      Layer.provide(layer)
    )
  }))
]

describe.each(implementations)("Escalation claims on $name", ({ layer }) => {
  it.live("open until claimed by one teacher, resolved only by them; the student hears the teacher joined; no links", () =>
    Effect.gen(function*() {
      const escalation = yield* Escalation
      const sessionId = `claims-${crypto.randomUUID()}`
      const [ada, bob] = [crypto.randomUUID(), crypto.randomUUID()]
      const student = yield* escalation.studentFeed(sessionId)
      const teachers = yield* escalation.teacherFeed(sessionId)
      const studentSaw = yield* student.pipe(Stream.take(3), Stream.runCollect, Effect.forkChild)
      const teacherSaw = yield* teachers.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)

      const asked = yield* escalation.raise({ sessionId, reason: "Needs a human", trigger: "api", finding: requestedFinding("api") })
      const disclosed = yield* escalation.raise({
        sessionId,
        reason: "escalate_to_teacher",
        trigger: "classifier",
        finding: findingOf("self_harm", [{ check: "classifier", label: "escalate_to_teacher", score: 1 }])
      })
      // urgent first in the inbox; both waiting for a teacher
      expect((yield* escalation.open).filter((record) => record.sessionId === sessionId).map((record) => record.id))
        .toEqual([disclosed.id, asked.id])
      expect((yield* escalation.pending(sessionId)).map((record) => record.id)).toEqual([asked.id, disclosed.id])

      const claimed = yield* escalation.claim(disclosed.id, ada)
      expect(claimed._tag).toBe("Claimed")
      expect(yield* escalation.claim(disclosed.id, ada)).toMatchObject({ _tag: "Claimed" })
      expect(yield* escalation.claim(disclosed.id, bob)).toEqual({ _tag: "Taken" })
      expect(yield* escalation.claim(crypto.randomUUID(), bob)).toEqual({ _tag: "Missing" })
      expect([yield* escalation.holdsClaim(sessionId, ada), yield* escalation.holdsClaim(sessionId, bob)]).toEqual([true, false])
      expect((yield* escalation.pending(sessionId)).map((record) => record.id)).toEqual([asked.id])

      expect(yield* escalation.resolve(disclosed.id, bob, "not mine")).toBe("NotYours")
      expect(yield* escalation.resolve(disclosed.id, ada, "Talked with her and her parents")).toBe("Resolved")
      expect(yield* escalation.resolve(disclosed.id, ada, "again")).toBe("NotYours")
      expect(yield* escalation.holdsClaim(sessionId, ada)).toBe(false)
      const resolved = yield* escalation.get(disclosed.id)
      expect(resolved._tag === "Some" ? [resolved.value.claimedBy, resolved.value.resolutionNote] : null)
        .toEqual([ada, "Talked with her and her parents"])
      expect((yield* escalation.open).filter((record) => record.sessionId === sessionId).map((record) => record.id))
        .toEqual([asked.id])

      expect(yield* Fiber.join(teacherSaw).pipe(Effect.timeout("1 second")))
        .toEqual([escalationNotice(asked), escalationNotice(disclosed)])
      const heard = yield* Fiber.join(studentSaw).pipe(Effect.timeout("1 second"))
      expect(heard).toEqual([studentNotice(asked), studentNotice(disclosed), { type: "teacher_joined" }])
      expect(JSON.stringify(heard)).not.toContain("token")
    }).pipe(Effect.provide(layer), Effect.scoped), 60_000)
})
