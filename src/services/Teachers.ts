import { Context, type Effect, type Option, Schema } from "effect"

/** `admin` may open any session's transcript without a claim; `teacher` only through a claim. */
export const TeacherRole = Schema.Literals(["teacher", "admin"])
export type TeacherRole = typeof TeacherRole.Type

export const Email = Schema.Trim.pipe(
  Schema.check(Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/)),
  Schema.check(Schema.isMaxLength(254))
)

export const Teacher = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  email: Schema.String,
  role: TeacherRole,
  createdAt: Schema.Number
})
export type Teacher = typeof Teacher.Type

export class TeacherExists extends Schema.TaggedError<TeacherExists>()("TeacherExists", { email: Schema.String }) {
  override get message(): string {
    return `a teacher with the email ${this.email} already exists`
  }
}

export class NoSuchTeacher extends Schema.TaggedError<NoSuchTeacher>()("NoSuchTeacher", { email: Schema.String }) {
  override get message(): string {
    return `no teacher has the email ${this.email}`
  }
}

/** A one-time sign-in link's secret part (`/teacher/sign-in#<token>`) and when it stops working. */
export interface SignInLink {
  readonly token: string
  readonly expiresAt: number
}

/** A signed-in teacher's browser session; `token` is what the cookie holds now (new after a rotation). */
export interface TeacherSession {
  readonly teacher: Teacher
  readonly token: string
  readonly expiresAt: number
  /** the token was replaced on this use: the response sets the new cookie */
  readonly rotated: boolean
}

/** What teachers did with a child's session: every read, inject and hint, and the claims. */
export const TeacherAction = Schema.Literals(["claim", "read", "inject", "hint", "resolve"])
export type TeacherAction = typeof TeacherAction.Type

export const AuditEntry = Schema.Struct({
  teacherId: Schema.String,
  sessionId: Schema.String,
  action: TeacherAction,
  at: Schema.Number
})
export type AuditEntry = typeof AuditEntry.Type

/**
 * Teacher accounts, their sign-in (one-time links, then an expiring, rotating browser session)
 * and the audit trail of what they did with children's sessions. Secrets are stored only as
 * SHA-256 hashes; a stolen database holds no usable link or cookie.
 */
export class Teachers extends Context.Service<Teachers, {
  /** a new account and its first one-time sign-in link */
  readonly add: (input: {
    readonly name: string
    readonly email: string
    readonly role: TeacherRole
  }) => Effect.Effect<{ readonly teacher: Teacher; readonly link: SignInLink }, TeacherExists>
  readonly list: Effect.Effect<ReadonlyArray<Teacher>>
  /** the account goes, with its links and sessions; its audit rows stay */
  readonly remove: (email: string) => Effect.Effect<void, NoSuchTeacher>
  /** a fresh one-time link (the earlier unused ones keep working until they expire) */
  readonly issueLink: (email: string) => Effect.Effect<SignInLink, NoSuchTeacher>
  /** the teacher the link is for, once: a used, expired or unknown link is none */
  readonly redeemLink: (token: string) => Effect.Effect<Option.Option<Teacher>>
  /** the account a link token names (for per-account attempt limits), whether or not it is valid */
  readonly accountOfLink: (token: string) => string
  readonly startSession: (teacherId: string) => Effect.Effect<TeacherSession>
  /** the signed-in teacher of a cookie, rotating its token when it is due */
  readonly session: (token: string) => Effect.Effect<Option.Option<TeacherSession>>
  readonly endSession: (token: string) => Effect.Effect<void>
  readonly audit: (entry: Omit<AuditEntry, "at">) => Effect.Effect<void>
  readonly auditTrail: (sessionId: string) => Effect.Effect<ReadonlyArray<AuditEntry>>
}>()("tutor/Teachers") {}
