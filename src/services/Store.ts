import { Context, type Effect, type Option, Schema } from "effect"
import { SafetyFinding } from "../domain/safety.ts"
import { EscalationTrigger, GuardrailAction } from "../tutor/events.ts"
import { SessionReport, Speaker } from "./Sessions.ts"
import { Subject } from "./Specialists.ts"

/** Epoch milliseconds, read from Effect's `Clock` when the thing happened (not when it was written). */
const At = Schema.Number

export const SessionVersion = Schema.Literals(["a", "b"])
export type SessionVersion = typeof SessionVersion.Type

// ---------------------------------------------------------------------------------------------
// What the tutor records. Each entry carries its time, so a batch written late (after an
// outage) still lands with the times things happened.
// ---------------------------------------------------------------------------------------------

export const SessionStarted = Schema.TaggedStruct("SessionStarted", {
  sessionId: Schema.String,
  version: SessionVersion,
  studentId: Schema.NullOr(Schema.String),
  /** Version A's LiveKit room */
  roomName: Schema.NullOr(Schema.String),
  /** Version B: a prefix of the ephemeral key, never the whole key (reference: first 20 chars) */
  sessionToken: Schema.NullOr(Schema.String),
  at: At
})

/** One line of the transcript; the store numbers the lines of a session in arrival order. */
export const TurnSpoken = Schema.TaggedStruct("TurnSpoken", {
  sessionId: Schema.String,
  speaker: Speaker,
  text: Schema.String,
  subject: Schema.NullOr(Subject),
  at: At
})

/** A routing decision as written and as read back. */
const routingFields = {
  /** who routed: `orchestrator` (B's classifier, A's orchestrator agent) */
  fromAgent: Schema.String,
  toAgent: Subject,
  confidence: Schema.Number,
  latencyMs: Schema.Number,
  /** first 200 characters of the student's text */
  excerpt: Schema.String,
  /** the classifier failed and the english/0.5 default was used */
  fallback: Schema.Boolean,
  at: At
}

export const RoutingDecided = Schema.TaggedStruct("RoutingDecided", { sessionId: Schema.String, ...routingFields })

/** One sentence the guardrail did not pass unchanged. */
const guardrailFields = {
  sentenceIndex: Schema.NullOr(Schema.Number),
  action: GuardrailAction,
  /** the sentence as the specialist wrote it; null when the recorder only knows the verdict */
  original: Schema.NullOr(Schema.String),
  /** what was spoken instead (rewrite, apology or fallback) */
  replacement: Schema.NullOr(Schema.String),
  categories: Schema.Array(Schema.String),
  scores: Schema.Record(Schema.String, Schema.Number),
  at: At
}

export const GuardrailFlagged = Schema.TaggedStruct("GuardrailFlagged", { sessionId: Schema.String, ...guardrailFields })

/**
 * One answered turn: milliseconds from its start to each stage (null when the stage did not
 * happen), and the tokens it used.
 */
export const LatencyMeasured = Schema.TaggedStruct("LatencyMeasured", {
  sessionId: Schema.String,
  classifyMs: Schema.Number,
  firstTokenMs: Schema.NullOr(Schema.Number),
  firstSentenceMs: Schema.NullOr(Schema.Number),
  firstAudioMs: Schema.NullOr(Schema.Number),
  totalMs: Schema.Number,
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  /** null when the turn used a model without a price, or its tokens were not metered */
  estimatedCostUsd: Schema.NullOr(Schema.Number),
  at: At
})

/**
 * An escalation as it is raised. Its id is the raiser's, so one whose row is written late (after
 * an outage) is still the one the teachers were told of; the store adds, later, who claimed it.
 */
export const NewEscalation = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  version: SessionVersion,
  trigger: EscalationTrigger,
  reason: Schema.String,
  /** why: category, severity and evidence; null only on rows from before the safety taxonomy */
  finding: Schema.NullOr(SafetyFinding),
  at: At
})
export type NewEscalation = typeof NewEscalation.Type

/** Escalations are stored at once; this queues one while the database cannot be reached. */
export const EscalationRaised = Schema.TaggedStruct("EscalationRaised", NewEscalation.fields)

/** A session closed while the database could not be reached: its report is built when this is written. */
export const SessionClosed = Schema.TaggedStruct("SessionClosed", { sessionId: Schema.String, version: SessionVersion, at: At })
export type SessionClosed = typeof SessionClosed.Type

export const AuditEntry = Schema.Union([
  SessionStarted,
  TurnSpoken,
  RoutingDecided,
  GuardrailFlagged,
  LatencyMeasured,
  EscalationRaised,
  SessionClosed
])
export type AuditEntry = typeof AuditEntry.Type

// ---------------------------------------------------------------------------------------------
// What the store gives back.
// ---------------------------------------------------------------------------------------------

export const StoredTurn = Schema.Struct({
  turnIndex: Schema.Number,
  speaker: Speaker,
  text: Schema.String,
  subject: Schema.NullOr(Subject),
  at: At
})
export type StoredTurn = typeof StoredTurn.Type

export const StoredRouting = Schema.Struct(routingFields)
export type StoredRouting = typeof StoredRouting.Type

export const StoredGuardrailEvent = Schema.Struct({
  ...guardrailFields,
  flagged: Schema.Boolean,
  /** the highest category score, the reference's single `confidence` */
  confidence: Schema.Number
})
export type StoredGuardrailEvent = typeof StoredGuardrailEvent.Type


export const StoredEscalation = Schema.Struct({
  ...NewEscalation.fields,
  claimedBy: Schema.NullOr(Schema.String),
  claimedAt: Schema.NullOr(At),
  resolvedAt: Schema.NullOr(At),
  resolutionNote: Schema.NullOr(Schema.String)
})
export type StoredEscalation = typeof StoredEscalation.Type

export const LearningSession = Schema.Struct({
  sessionId: Schema.String,
  version: SessionVersion,
  studentId: Schema.NullOr(Schema.String),
  roomName: Schema.NullOr(Schema.String),
  sessionToken: Schema.NullOr(Schema.String),
  startedAt: At,
  endedAt: Schema.NullOr(At),
  /** the report written at close, in the shape `Sessions.close` returns */
  report: Schema.NullOr(SessionReport)
})
export type LearningSession = typeof LearningSession.Type

/** The database failed; `transient` when retrying later may help (connection lost, deadlock). */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  message: Schema.String,
  transient: Schema.Boolean
}) {}

/**
 * The tutor's audit record in SQL: sessions, transcript, routing, guardrail and escalation
 * events, and the session report. Writes here are synchronous; the request paths record through
 * `AuditLog`, which queues, batches and retries in front of `write`.
 */
export class Store extends Context.Service<Store, {
  /** writes the entries in order, all or none */
  readonly write: (entries: ReadonlyArray<AuditEntry>) => Effect.Effect<void, StoreError>
  /**
   * Builds the session's report from its rows and stores it with `ended_at`. A session whose
   * start was never recorded is created (as `version`), so no report is lost.
   */
  readonly closeSession: (
    input: { readonly sessionId: string; readonly version: SessionVersion; readonly at: number }
  ) => Effect.Effect<SessionReport, StoreError>
  readonly session: (sessionId: string) => Effect.Effect<Option.Option<LearningSession>, StoreError>
  /** oldest first, with increasing `turnIndex` */
  readonly transcript: (sessionId: string) => Effect.Effect<ReadonlyArray<StoredTurn>, StoreError>
  readonly routingDecisions: (sessionId: string) => Effect.Effect<ReadonlyArray<StoredRouting>, StoreError>
  readonly guardrailEvents: (sessionId: string) => Effect.Effect<ReadonlyArray<StoredGuardrailEvent>, StoreError>
  readonly recordEscalation: (escalation: NewEscalation) => Effect.Effect<StoredEscalation, StoreError>
  readonly escalation: (id: string) => Effect.Effect<Option.Option<StoredEscalation>, StoreError>
  /** escalations not resolved yet (of one session, or of all), oldest first */
  readonly openEscalations: (sessionId?: string) => Effect.Effect<ReadonlyArray<StoredEscalation>, StoreError>
  /** atomically, for one teacher: the claimed row, or none when it is another's, resolved or unknown */
  readonly claimEscalation: (
    id: string,
    teacherId: string,
    at: number
  ) => Effect.Effect<Option.Option<StoredEscalation>, StoreError>
  /** only by the teacher who claimed it: the resolved row, or none */
  readonly resolveEscalation: (
    input: { readonly id: string; readonly teacherId: string; readonly note: string; readonly at: number }
  ) => Effect.Effect<Option.Option<StoredEscalation>, StoreError>
}>()("tutor/Store") {}

export const AuditStats = Schema.Struct({
  /** entries taken into the queue */
  accepted: Schema.Number,
  written: Schema.Number,
  /** refused by the database for good (logged with the entry) */
  failed: Schema.Number,
  /** not taken because the queue was full (logged as a count) */
  dropped: Schema.Number,
  /** write attempts repeated after a transient error */
  retries: Schema.Number,
  /** accepted and not yet written or failed */
  pending: Schema.Number
})
export type AuditStats = typeof AuditStats.Type

/**
 * Fire-and-forget recording for the request paths: `record` never blocks and never fails. Entries
 * go through a bounded queue to `Store.write` in batches, retried with backoff while the database
 * is unreachable; what overflows the queue is counted and logged, never silently lost; the queue
 * is flushed when the layer shuts down.
 */
export class AuditLog extends Context.Service<AuditLog, {
  readonly record: (entry: AuditEntry) => Effect.Effect<void>
  /** waits until everything recorded before the call is written (or failed for good) */
  readonly flush: Effect.Effect<void>
  readonly stats: Effect.Effect<AuditStats>
}>()("tutor/AuditLog") {}
