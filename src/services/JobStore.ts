import { Context, type Effect, Schema, type Stream } from "effect"
import { SafetyFinding } from "../domain/safety.ts"
import { GuardrailAction, TurnLatency } from "../tutor/events.ts"
import { Confidence, Subject } from "./Specialists.ts"
import { UsageSummary } from "./Usage.ts"

export const JobStatus = Schema.Literals(["pending", "processing", "complete", "error"])
export type JobStatus = typeof JobStatus.Type

/** Epoch milliseconds, read from Effect's `Clock` so tests can move time. */
const EpochMillis = Schema.Number

/** One orchestration job of Version B: a student's question on its way to a safe, speakable answer. */
export const Job = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  status: JobStatus,
  studentText: Schema.String,
  subject: Schema.NullOr(Subject),
  confidence: Schema.NullOr(Confidence),
  /** specialist output before the guardrail */
  rawText: Schema.NullOr(Schema.String),
  /** the safe sentences released so far, in order; TTS follows this list */
  sentences: Schema.Array(Schema.String),
  /** sentences the guardrail did not pass unchanged, by position in the specialist's answer (the audit detail is in the session record) */
  interventions: Schema.Array(Schema.Struct({ index: Schema.Number, action: GuardrailAction })),
  /** the whole safe answer once complete */
  safeText: Schema.NullOr(Schema.String),
  ttsReady: Schema.Boolean,
  errorMessage: Schema.NullOr(Schema.String),
  dispatchedAt: EpochMillis,
  classifiedAt: Schema.NullOr(EpochMillis),
  completedAt: Schema.NullOr(EpochMillis),
  /** the answered turn's stage timings and token usage, as its `done` event reported them; null until then */
  latency: Schema.NullOr(TurnLatency),
  usage: Schema.NullOr(UsageSummary),
  /** why the turn went to a teacher (category, severity, evidence); null when it did not */
  finding: Schema.NullOr(SafetyFinding)
})
export type Job = typeof Job.Type

/** A job as dispatched: pending, nothing known yet but the question. */
export const newJob = (
  input: { readonly sessionId: string; readonly studentText: string },
  id: string,
  dispatchedAt: number
): Job => ({
  id,
  sessionId: input.sessionId,
  status: "pending",
  studentText: input.studentText,
  subject: null,
  confidence: null,
  rawText: null,
  sentences: [],
  interventions: [],
  safeText: null,
  ttsReady: false,
  errorMessage: null,
  dispatchedAt,
  classifiedAt: null,
  completedAt: null,
  latency: null,
  usage: null,
  finding: null
})

/**
 * The error of a job its server stopped before it finished: written by the stopping server on a
 * graceful shutdown, or at the next start-up when the job's instance went down without one.
 */
export const INTERRUPTED_BY_RESTART = "interrupted by restart"

export const isFinished = (job: Job): boolean => job.status === "complete" || job.status === "error"

export class JobNotFound extends Schema.TaggedError<JobNotFound>()("JobNotFound", { jobId: Schema.String }) {}

/**
 * A job this instance does not hold could not be read or changed: its database is unreachable.
 * This instance's own jobs never fail so — they answer from memory through an outage.
 */
export class JobStoreUnavailable extends Schema.TaggedError<JobStoreUnavailable>()("JobStoreUnavailable", {
  message: Schema.String
}) {}

/** Defaults of the reference: sweep every 300 s, drop finished jobs older than 3600 s, keep unfinished ones. */
export const JOB_RETENTION = { sweepEverySeconds: 300, finishedTtlSeconds: 3600 } as const

export class JobStore extends Context.Service<JobStore, {
  readonly create: (input: { readonly sessionId: string; readonly studentText: string }) => Effect.Effect<Job>
  readonly get: (id: string) => Effect.Effect<Job, JobNotFound | JobStoreUnavailable>
  /** applies `change` atomically and notifies watchers */
  readonly update: (id: string, change: (job: Job) => Job) => Effect.Effect<Job, JobNotFound | JobStoreUnavailable>
  /** deletes finished jobs older than the retention TTL; returns how many went */
  readonly expire: Effect.Effect<number>
  /** the job now, then every change, ending after the first finished snapshot */
  readonly watch: (id: string) => Stream.Stream<Job, JobNotFound | JobStoreUnavailable>
}>()("tutor/JobStore") {}
