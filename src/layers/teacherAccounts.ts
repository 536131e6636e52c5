import { Clock, Duration, Effect, Option } from "effect"
import { createHash, randomBytes, randomUUID } from "node:crypto"
import { type AuditEntry, NoSuchTeacher, type Teacher, TeacherExists, Teachers, type TeacherSession } from "../services/Teachers.ts"

/** A sign-in link works for a day, once. */
export const LINK_TTL = Duration.hours(24)
/** A teacher signs in again after a working day, however active. */
export const TEACHER_SESSION_TTL = Duration.hours(8)
/** The cookie's token is replaced this often, so a copied cookie soon stops working. */
export const ROTATE_AFTER = Duration.minutes(15)
/** The replaced token still works this long, for requests already on their way. */
const ROTATION_GRACE = Duration.seconds(60)

export interface StoredSession {
  readonly teacherId: string
  readonly issuedAt: number
  readonly expiresAt: number
}

/** Where teacher accounts live (memory or SQL); the rules are the same over both (`teachersOver`). */
export interface TeacherRepository {
  /** false when the email is taken */
  readonly insertTeacher: (teacher: Teacher) => Effect.Effect<boolean>
  readonly teacherByEmail: (email: string) => Effect.Effect<Option.Option<Teacher>>
  readonly teacherById: (id: string) => Effect.Effect<Option.Option<Teacher>>
  readonly teachers: Effect.Effect<ReadonlyArray<Teacher>>
  /** with its links and sessions */
  readonly deleteTeacher: (id: string) => Effect.Effect<void>
  readonly insertLink: (hash: string, teacherId: string, expiresAt: number) => Effect.Effect<void>
  /** marks an unused, unexpired link used, atomically: the teacher it was for, or none */
  readonly consumeLink: (hash: string, now: number) => Effect.Effect<Option.Option<string>>
  readonly insertSession: (hash: string, session: StoredSession) => Effect.Effect<void>
  /** an unexpired session */
  readonly sessionByHash: (hash: string, now: number) => Effect.Effect<Option.Option<StoredSession>>
  readonly expireSession: (hash: string, at: number) => Effect.Effect<void>
  readonly insertAudit: (entry: AuditEntry) => Effect.Effect<void>
  readonly auditOf: (sessionId: string) => Effect.Effect<ReadonlyArray<AuditEntry>>
}

const hashOf = (token: string) => createHash("sha256").update(token, "utf8").digest("hex")
const secret = () => randomBytes(32).toString("base64url")
const LINK_SEPARATOR = "."

/** The account rules over any repository: hashed secrets, one-time links, expiring rotating sessions. */
export const teachersOver = (repository: TeacherRepository) => {
  const newLink = (teacherId: string) =>
    Effect.gen(function*() {
      const token = `${teacherId}${LINK_SEPARATOR}${secret()}`
      const expiresAt = (yield* Clock.currentTimeMillis) + Duration.toMillis(LINK_TTL)
      yield* repository.insertLink(hashOf(token), teacherId, expiresAt)
      return { token, expiresAt }
    })

  const byEmail = (email: string) =>
    Effect.flatMap(repository.teacherByEmail(email.toLowerCase()), Option.match({
      onNone: () => Effect.fail(new NoSuchTeacher({ email })),
      onSome: Effect.succeed
    }))

  const openSession = (teacher: Teacher, expiresAt: number) =>
    Effect.gen(function*() {
      const token = secret()
      const now = yield* Clock.currentTimeMillis
      yield* repository.insertSession(hashOf(token), { teacherId: teacher.id, issuedAt: now, expiresAt })
      return { teacher, token, expiresAt, rotated: false } satisfies TeacherSession
    })

  return Teachers.of({
    add: Effect.fn("Teachers.add")(function*(input) {
      const teacher: Teacher = {
        id: randomUUID(),
        name: input.name.trim(),
        email: input.email.trim().toLowerCase(),
        role: input.role,
        createdAt: yield* Clock.currentTimeMillis
      }
      if (!(yield* repository.insertTeacher(teacher))) return yield* new TeacherExists({ email: teacher.email })
      return { teacher, link: yield* newLink(teacher.id) }
    }),
    list: repository.teachers,
    remove: Effect.fn("Teachers.remove")(function*(email) {
      const teacher = yield* byEmail(email)
      yield* repository.deleteTeacher(teacher.id)
    }),
    issueLink: Effect.fn("Teachers.issueLink")(function*(email) {
      return yield* newLink((yield* byEmail(email)).id)
    }),
    redeemLink: Effect.fn("Teachers.redeemLink")(function*(token) {
      const teacherId = yield* repository.consumeLink(hashOf(token), yield* Clock.currentTimeMillis)
      return Option.isNone(teacherId) ? Option.none() : yield* repository.teacherById(teacherId.value)
    }),
    accountOfLink: (token) => token.split(LINK_SEPARATOR)[0] ?? "",
    startSession: Effect.fn("Teachers.startSession")(function*(teacherId) {
      const teacher = yield* Effect.flatMap(repository.teacherById(teacherId), Option.match({
        onNone: () => Effect.die(new Error(`no teacher ${teacherId}`)),
        onSome: Effect.succeed
      }))
      return yield* openSession(teacher, (yield* Clock.currentTimeMillis) + Duration.toMillis(TEACHER_SESSION_TTL))
    }),
    session: Effect.fn("Teachers.session")(function*(token) {
      const now = yield* Clock.currentTimeMillis
      const hash = hashOf(token)
      const stored = yield* repository.sessionByHash(hash, now)
      if (Option.isNone(stored)) return Option.none()
      const teacher = yield* repository.teacherById(stored.value.teacherId)
      if (Option.isNone(teacher)) return Option.none()
      if (now - stored.value.issuedAt < Duration.toMillis(ROTATE_AFTER)) {
        return Option.some({ teacher: teacher.value, token, expiresAt: stored.value.expiresAt, rotated: false })
      }
      // the old token keeps working a moment for requests already sent with it, then never again
      yield* repository.expireSession(hash, Math.min(stored.value.expiresAt, now + Duration.toMillis(ROTATION_GRACE)))
      const next = yield* openSession(teacher.value, stored.value.expiresAt)
      return Option.some({ ...next, rotated: true })
    }),
    endSession: (token) => Effect.flatMap(Clock.currentTimeMillis, (now) => repository.expireSession(hashOf(token), now - 1)),
    audit: Effect.fn("Teachers.audit")(function*(entry) {
      yield* repository.insertAudit({ ...entry, at: yield* Clock.currentTimeMillis })
    }),
    auditTrail: repository.auditOf
  })
}
