import { describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { teachersMemory } from "../../src/layers/memory/teachers.ts"
import { teachersSql } from "../../src/layers/sql/teachers.ts"
import { LINK_TTL, ROTATE_AFTER, TEACHER_SESSION_TTL } from "../../src/layers/teacherAccounts.ts"
import { Teachers } from "../../src/services/Teachers.ts"
import { targets, TestDatabase } from "./databases.ts"

/** The account rules are the same over memory and every SQL target. */
const backends = [
  { name: "memory", layer: teachersMemory() },
  ...targets.map(({ layer: target, name }) => ({
    name,
    layer: Layer.unwrap(TestDatabase.use((db) => Effect.succeed(teachersSql.pipe(Layer.provide(db.connect))))).pipe(
      Layer.provide(target)
    )
  }))
]

/** Each test on a clock of its own, started at a fixed moment, so expiry can be walked through. */
const START = Date.UTC(2026, 11, 4, 9)

const onTestClock = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(START)
    return yield* effect
  }).pipe(Effect.provide(TestClock.layer()))

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@school.example`

describe.each(backends)("teacher accounts on $name", ({ layer: backend }) => {
  layer(backend, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("emails are unique (case-insensitively) and a removed teacher's links and sessions stop working", () =>
      onTestClock(Effect.gen(function*() {
        const teachers = yield* Teachers
        const email = unique("ada")
        const { link, teacher } = yield* teachers.add({ name: "Ada", email, role: "teacher" })
        const duplicate = yield* Effect.flip(teachers.add({ name: "Ada again", email: email.toUpperCase(), role: "admin" }))
        expect(duplicate._tag).toBe("TeacherExists")
        expect((yield* teachers.list).some((known) => known.id === teacher.id)).toBe(true)
        const spare = yield* teachers.issueLink(email)
        const session = yield* teachers.startSession(teacher.id)
        yield* teachers.remove(email)
        expect(Option.isNone(yield* teachers.redeemLink(link.token))).toBe(true)
        expect(Option.isNone(yield* teachers.redeemLink(spare.token))).toBe(true)
        expect(Option.isNone(yield* teachers.session(session.token))).toBe(true)
        expect((yield* Effect.flip(teachers.remove(email)))._tag).toBe("NoSuchTeacher")
      })))

    it.effect("a link works once and only for a day", () =>
      onTestClock(Effect.gen(function*() {
        const teachers = yield* Teachers
        const { link, teacher } = yield* teachers.add({ name: "Bea", email: unique("bea"), role: "teacher" })
        const late = yield* teachers.issueLink(teacher.email)
        expect(Option.map(yield* teachers.redeemLink(link.token), (found) => found.id)).toEqual(Option.some(teacher.id))
        expect(Option.isNone(yield* teachers.redeemLink(link.token))).toBe(true)
        expect(teachers.accountOfLink(link.token)).toBe(teacher.id)
        yield* TestClock.adjust(Duration.sum(LINK_TTL, Duration.seconds(1)))
        expect(Option.isNone(yield* teachers.redeemLink(late.token))).toBe(true)
      })))

    it.effect("a browser session rotates its token as it is used, keeps the old one a minute, ends after 8 hours or sign-out", () =>
      onTestClock(Effect.gen(function*() {
        const teachers = yield* Teachers
        const { teacher } = yield* teachers.add({ name: "Cy", email: unique("cy"), role: "teacher" })
        const first = yield* teachers.startSession(teacher.id)
        const fresh = yield* teachers.session(first.token)
        expect(Option.map(fresh, (session) => [session.rotated, session.token])).toEqual(Option.some([false, first.token]))

        yield* TestClock.adjust(Duration.sum(ROTATE_AFTER, Duration.seconds(1)))
        const rotated = Option.getOrThrow(yield* teachers.session(first.token))
        expect(rotated.rotated).toBe(true)
        expect(rotated.token).not.toBe(first.token)
        // requests already sent with the old cookie still land, for a minute
        expect(Option.isSome(yield* teachers.session(first.token))).toBe(true)
        yield* TestClock.adjust(Duration.seconds(61))
        expect(Option.isNone(yield* teachers.session(first.token))).toBe(true)
        expect(Option.isSome(yield* teachers.session(rotated.token))).toBe(true)

        // rotation never extends the day: the session ends 8 hours after sign-in
        yield* TestClock.adjust(Duration.subtract(TEACHER_SESSION_TTL, Duration.sum(ROTATE_AFTER, Duration.seconds(62))))
        expect(Option.isNone(yield* teachers.session(rotated.token))).toBe(true)

        const second = yield* teachers.startSession(teacher.id)
        yield* teachers.endSession(second.token)
        expect(Option.isNone(yield* teachers.session(second.token))).toBe(true)
      })))

    it.effect("the audit trail keeps who did what with which session, in order, also after the account goes", () =>
      onTestClock(Effect.gen(function*() {
        const teachers = yield* Teachers
        const email = unique("dee")
        const { teacher } = yield* teachers.add({ name: "Dee", email, role: "teacher" })
        const sessionId = crypto.randomUUID()
        for (const action of ["claim", "read", "inject", "hint", "resolve"] as const) {
          yield* teachers.audit({ teacherId: teacher.id, sessionId, action })
          yield* TestClock.adjust(Duration.seconds(1))
        }
        yield* teachers.remove(email)
        const trail = yield* teachers.auditTrail(sessionId)
        expect(trail.map((entry) => entry.action)).toEqual(["claim", "read", "inject", "hint", "resolve"])
        expect(trail.every((entry) => entry.teacherId === teacher.id)).toBe(true)
        expect(trail.map((entry) => entry.at)).toEqual([0, 1, 2, 3, 4].map((second) => START + second * 1000))
      })))
  })
})
