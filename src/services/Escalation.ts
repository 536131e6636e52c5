import { Context, type Effect, Schema, type Scope, type Stream } from "effect"
import { SafetyCategory, SafetyEvidence, SafetyFinding, Severity } from "../domain/safety.ts"
// the trigger vocabulary is the turn pipeline's (SPEC §5 triggers), shared so both sides agree
import { EscalationTrigger } from "../tutor/events.ts"
import { Subject } from "./Specialists.ts"

export { EscalationTrigger }

export const EscalationRecord = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  reason: Schema.String,
  trigger: EscalationTrigger,
  /** the teacher page's signed WebSocket URL (empty when the raiser could not sign one) */
  teacherUrl: Schema.String,
  /** Version A: the session's LiveKit room link carrying a teacher's LiveKit token */
  liveKitUrl: Schema.optionalKey(Schema.String),
  /** why: category, severity and evidence; absent only on escalations from before the taxonomy */
  finding: Schema.optionalKey(SafetyFinding),
  raisedAt: Schema.Number
})
export type EscalationRecord = typeof EscalationRecord.Type

/** What a session's teachers see, in the reference's wire shape (§7.3). */
export const TeacherMessage = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("transcript"),
    speaker: Schema.Literals(["student", "tutor"]),
    text: Schema.String,
    subject: Schema.NullOr(Subject)
  }),
  Schema.Struct({
    type: Schema.Literal("escalation"),
    /** so a teacher's socket can acknowledge it and skip one it has already shown */
    escalation_id: Schema.String,
    session_id: Schema.String,
    reason: Schema.String,
    trigger: EscalationTrigger,
    teacher_ws_url: Schema.String,
    /** additive to the reference's shape: only Version A's escalations have a room */
    livekit_url: Schema.optionalKey(Schema.String),
    /** additive: the safety taxonomy's reading (absent on escalations from before it) */
    category: Schema.optionalKey(SafetyCategory),
    severity: Schema.optionalKey(Severity),
    evidence: Schema.optionalKey(Schema.Array(SafetyEvidence))
  }),
  Schema.Struct({
    type: Schema.Literal("teacher_hint"),
    session_id: Schema.String,
    text: Schema.String,
    from: Schema.Literal("teacher")
  })
])
export type TeacherMessage = typeof TeacherMessage.Type

/** What the student's page receives from the teacher side. */
export const StudentMessage = Schema.Union([
  Schema.Struct({ type: Schema.Literal("inject"), text: Schema.String, from: Schema.Literal("teacher") }),
  Schema.Struct({
    type: Schema.Literal("escalation"),
    state: Schema.Literal("pending"),
    reason: Schema.String,
    trigger: EscalationTrigger,
    teacher_ws_url: Schema.String,
    livekit_url: Schema.optionalKey(Schema.String)
  })
])
export type StudentMessage = typeof StudentMessage.Type

export type EscalationNotice = Extract<TeacherMessage, { type: "escalation" }>

// absent rather than empty, so B's notices keep the reference's exact shape
const liveKitField = (record: EscalationRecord) =>
  record.liveKitUrl === undefined ? {} : { livekit_url: record.liveKitUrl }

export const escalationNotice = (record: EscalationRecord): EscalationNotice => ({
  type: "escalation",
  escalation_id: record.id,
  session_id: record.sessionId,
  reason: record.reason,
  trigger: record.trigger,
  teacher_ws_url: record.teacherUrl,
  ...liveKitField(record),
  ...(record.finding === undefined
    ? {}
    : { category: record.finding.category, severity: record.finding.severity, evidence: record.finding.evidence })
})

export const studentNotice = (record: EscalationRecord): Extract<StudentMessage, { type: "escalation" }> => ({
  type: "escalation",
  state: "pending",
  reason: record.reason,
  trigger: record.trigger,
  teacher_ws_url: record.teacherUrl,
  ...liveKitField(record)
})

/**
 * Teacher escalation and the teacher/student channels of a session. `raise` records the
 * escalation and notifies both sides; feeds are subscribed when the effect runs, so nothing
 * published afterwards is missed. Persistent, multi-instance implementations keep this shape.
 */
export class Escalation extends Context.Service<Escalation, {
  readonly raise: (input: {
    readonly sessionId: string
    readonly reason: string
    readonly trigger: EscalationTrigger
    readonly teacherUrl: string
    readonly liveKitUrl?: string
    readonly finding: SafetyFinding
  }) => Effect.Effect<EscalationRecord>
  /** escalations of the session no teacher has been shown yet, oldest first */
  readonly pending: (sessionId: string) => Effect.Effect<ReadonlyArray<EscalationRecord>>
  /** a teacher has been shown this escalation: it is no longer pending for teachers who come later */
  readonly acknowledge: (id: string) => Effect.Effect<void>
  readonly toTeachers: (sessionId: string, message: TeacherMessage) => Effect.Effect<void>
  readonly toStudent: (sessionId: string, message: StudentMessage) => Effect.Effect<void>
  readonly teacherFeed: (sessionId: string) => Effect.Effect<Stream.Stream<TeacherMessage>, never, Scope.Scope>
  readonly studentFeed: (sessionId: string) => Effect.Effect<Stream.Stream<StudentMessage>, never, Scope.Scope>
}>()("tutor/Escalation") {}

/**
 * Grants a teacher access to one session's teacher socket: an expiring, signed WebSocket URL
 * (src/services/signing.ts), minted alike by the server and by Version A's agent.
 */
export class TeacherAccess extends Context.Service<TeacherAccess, {
  readonly grant: (sessionId: string, options?: { readonly baseUrl?: string | undefined }) => Effect.Effect<string>
}>()("tutor/TeacherAccess") {}
