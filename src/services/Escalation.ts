import { Context, type Effect, type Option, Schema, type Scope, type Stream } from "effect"
import { SafetyCategory, SafetyEvidence, SafetyFinding, Severity, severityRank } from "../domain/safety.ts"
// the trigger vocabulary is the turn pipeline's (SPEC §5 triggers), shared so both sides agree
import { EscalationTrigger } from "../tutor/events.ts"
import { Speaker } from "./Sessions.ts"
import { Subject } from "./Specialists.ts"

export { EscalationTrigger }

/**
 * An escalation and where it stands: open until a signed-in teacher claims it ("I'm on it"),
 * which gives that teacher the session; resolved with a note when done. It never expires: a
 * child's disclosure waits for an adult however long it takes.
 */
export const EscalationRecord = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  reason: Schema.String,
  trigger: EscalationTrigger,
  /** why: category, severity and evidence; absent only on escalations from before the taxonomy */
  finding: Schema.optionalKey(SafetyFinding),
  raisedAt: Schema.Number,
  /** the teacher who claimed it */
  claimedBy: Schema.NullOr(Schema.String),
  claimedAt: Schema.NullOr(Schema.Number),
  resolvedAt: Schema.NullOr(Schema.Number),
  resolutionNote: Schema.NullOr(Schema.String)
})
export type EscalationRecord = typeof EscalationRecord.Type

/** Urgent first, then standard, then from before the taxonomy; oldest first within each. */
export const byUrgency = (records: ReadonlyArray<EscalationRecord>): ReadonlyArray<EscalationRecord> =>
  records.toSorted((a, b) =>
    severityRank(a.finding?.severity ?? null) - severityRank(b.finding?.severity ?? null) || a.raisedAt - b.raisedAt)

export type ClaimOutcome =
  | { readonly _tag: "Claimed"; readonly record: EscalationRecord }
  /** another teacher has it, or it is resolved */
  | { readonly _tag: "Taken" }
  | { readonly _tag: "Missing" }

export type ResolveOutcome = "Resolved" | "NotYours" | "Missing"

/** What a session's teachers see, in the reference's wire shape (§7.3). */
export const TeacherMessage = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("transcript"),
    speaker: Speaker,
    text: Schema.String,
    subject: Schema.NullOr(Subject)
  }),
  Schema.Struct({
    type: Schema.Literal("escalation"),
    /** so a teacher's socket can skip one it has already shown */
    escalation_id: Schema.String,
    session_id: Schema.String,
    reason: Schema.String,
    trigger: EscalationTrigger,
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

/**
 * What the student's page receives from the teacher side. Never a teacher grant or link: the
 * student learns that a teacher was alerted, that one joined, and what a teacher wrote.
 */
export const StudentMessage = Schema.Union([
  Schema.Struct({ type: Schema.Literal("inject"), text: Schema.String, from: Schema.Literal("teacher") }),
  Schema.Struct({
    type: Schema.Literal("escalation"),
    state: Schema.Literal("pending"),
    reason: Schema.String,
    trigger: EscalationTrigger
  }),
  Schema.Struct({ type: Schema.Literal("teacher_joined") }),
  /** nobody claimed the escalation in time: what to do meanwhile (configurable, per severity) */
  Schema.Struct({ type: Schema.Literal("fallback"), text: Schema.String })
])
export type StudentMessage = typeof StudentMessage.Type

export type EscalationNotice = Extract<TeacherMessage, { type: "escalation" }>

export const escalationNotice = (record: EscalationRecord): EscalationNotice => ({
  type: "escalation",
  escalation_id: record.id,
  session_id: record.sessionId,
  reason: record.reason,
  trigger: record.trigger,
  ...(record.finding === undefined
    ? {}
    : { category: record.finding.category, severity: record.finding.severity, evidence: record.finding.evidence })
})

export const studentNotice = (record: EscalationRecord): Extract<StudentMessage, { type: "escalation" }> => ({
  type: "escalation",
  state: "pending",
  reason: record.reason,
  trigger: record.trigger
})

/**
 * Teacher escalation and the teacher/student channels of a session. `raise` records the
 * escalation and notifies the inbox and both sides; feeds are subscribed when the effect runs,
 * so nothing published afterwards is missed. Persistent, multi-instance implementations keep
 * this shape.
 */
export class Escalation extends Context.Service<Escalation, {
  readonly raise: (input: {
    readonly sessionId: string
    readonly reason: string
    readonly trigger: EscalationTrigger
    readonly finding: SafetyFinding
  }) => Effect.Effect<EscalationRecord>
  /** every escalation not resolved yet, of every session, most urgent first (the teachers' inbox) */
  readonly open: Effect.Effect<ReadonlyArray<EscalationRecord>>
  /** escalations of the session nobody has claimed yet, oldest first */
  readonly pending: (sessionId: string) => Effect.Effect<ReadonlyArray<EscalationRecord>>
  readonly get: (id: string) => Effect.Effect<Option.Option<EscalationRecord>>
  /** atomically: one teacher gets it; claiming one's own again is still `Claimed` */
  readonly claim: (id: string, teacherId: string) => Effect.Effect<ClaimOutcome>
  readonly resolve: (id: string, teacherId: string, note: string) => Effect.Effect<ResolveOutcome>
  /** the teacher holds an unresolved claim on an escalation of this session */
  readonly holdsClaim: (sessionId: string, teacherId: string) => Effect.Effect<boolean>
  /** a signal on every change of the inbox (raised, claimed, resolved), on any instance */
  readonly inboxChanges: Effect.Effect<Stream.Stream<void>, never, Scope.Scope>
  readonly toTeachers: (sessionId: string, message: TeacherMessage) => Effect.Effect<void>
  readonly toStudent: (sessionId: string, message: StudentMessage) => Effect.Effect<void>
  readonly teacherFeed: (sessionId: string) => Effect.Effect<Stream.Stream<TeacherMessage>, never, Scope.Scope>
  readonly studentFeed: (sessionId: string) => Effect.Effect<Stream.Stream<StudentMessage>, never, Scope.Scope>
}>()("tutor/Escalation") {}

/**
 * Grants the teacher who claimed a session access to its teacher socket: a short-lived URL signed
 * for that teacher and that session (src/services/signing.ts).
 */
export class TeacherAccess extends Context.Service<TeacherAccess, {
  readonly grant: (teacherId: string, sessionId: string) => Effect.Effect<string>
  /** the teacher a grant was issued to, when it is valid for this session */
  readonly verify: (sessionId: string, token: string) => Effect.Effect<Option.Option<string>>
}>()("tutor/TeacherAccess") {}
