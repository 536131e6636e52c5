import { Context, type Effect, Schema } from "effect"
import { SafetyCategory, SafetyEvidence, type SafetyFinding, Severity, severityRank } from "../domain/safety.ts"
import { EscalationTrigger, type GuardrailAction } from "../tutor/events.ts"
import { Confidence, type ConversationTurn, Subject } from "./Specialists.ts"
import type { UsageSummary } from "./Usage.ts"

/** Who said a line: the student, the tutor, or a teacher who joined (their messages to the student). */
export const Speaker = Schema.Literals(["student", "tutor", "teacher"])
export type Speaker = typeof Speaker.Type

/** One line of a session's transcript, in the order it was said. */
export const TranscriptTurn = Schema.Struct({
  index: Schema.Number,
  speaker: Speaker,
  text: Schema.String,
  /** the subject the turn was routed to; unknown for a student turn not yet classified */
  subject: Schema.NullOr(Subject),
  at: Schema.Number
})
export type TranscriptTurn = typeof TranscriptTurn.Type

/** Where the orchestrator sent one student turn, and how sure it was. */
export const RoutingDecision = Schema.Struct({
  to: Subject,
  confidence: Confidence,
  /** the classifier failed and the english/0.5 default was used */
  fallback: Schema.Boolean,
  latencyMs: Schema.Number,
  /** first 200 characters of the student's text */
  excerpt: Schema.String
})
export type RoutingDecision = typeof RoutingDecision.Type

/** The guardrail changed or withheld one sentence: the whole story, for the audit record. */
export interface GuardrailFlag {
  readonly _tag: "GuardrailFlag"
  /** position of the sentence in the answer */
  readonly index: number
  readonly action: GuardrailAction
  /** the sentence as the specialist wrote it */
  readonly original: string
  /** what was shown and spoken instead */
  readonly replacement: string
  readonly categories: ReadonlyArray<string>
  readonly scores: Readonly<Record<string, number>>
}

/** Something that happened in a session and belongs in its record. */
export type SessionEvent =
  /** a front door opened the session: B minted a Realtime key, A's agent joined a room */
  | {
    readonly _tag: "Started"
    /** a prefix of B's ephemeral key, never the whole key */
    readonly sessionToken: string | null
    readonly roomName: string | null
  }
  | { readonly _tag: "Turn"; readonly speaker: TranscriptTurn["speaker"]; readonly text: string; readonly subject: Subject | null }
  | { readonly _tag: "Routing"; readonly decision: RoutingDecision }
  | GuardrailFlag
  | {
    readonly _tag: "Escalated"
    readonly reason: string
    readonly trigger: EscalationTrigger
    readonly finding: SafetyFinding
  }
  /** one answered turn's measurements: stage latencies, tokens and their estimated cost */
  | { readonly _tag: "Latency"; readonly latency: StageLatency; readonly usage: UsageSummary }

/** Milliseconds from the start of a turn to each stage; null when the stage did not happen. */
export interface StageLatency {
  readonly classifyMs: number
  readonly firstTokenMs: number | null
  readonly firstSentenceMs: number | null
  /** only when the turn's program spoke itself (Version A); B's speech is a separate request */
  readonly firstAudioMs: number | null
  readonly totalMs: number
}

const LatencySummary = Schema.Struct({
  samples: Schema.Number,
  p50: Schema.NullOr(Schema.Number),
  max: Schema.NullOr(Schema.Number)
})

export const ReportedEscalation = Schema.Struct({
  reason: Schema.String,
  trigger: EscalationTrigger,
  category: Schema.NullOr(SafetyCategory),
  severity: Schema.NullOr(Severity),
  evidence: Schema.Array(SafetyEvidence)
})
export type ReportedEscalation = typeof ReportedEscalation.Type

/** Most severe first, then in the order raised; escalations from before the taxonomy last. */
export const bySeverityFirst = (escalations: ReadonlyArray<ReportedEscalation>): ReadonlyArray<ReportedEscalation> =>
  escalations.toSorted((a, b) => severityRank(a.severity) - severityRank(b.severity))

/** What the server knows of a session when it is closed (reference §2.4 report, plus latencies). */
export const SessionReport = Schema.Struct({
  turns: Schema.Number,
  subjects: Schema.Array(Subject),
  escalated: Schema.Boolean,
  guardrail_flags: Schema.Number,
  routing_decisions: Schema.Array(Schema.Struct({
    to: Subject,
    confidence: Schema.Number,
    fallback: Schema.Boolean,
    excerpt: Schema.String
  })),
  /** every escalation of the session, most severe first (category null: raised before the taxonomy) */
  escalations: Schema.Array(ReportedEscalation),
  /** per stage, in milliseconds from the start of the turn */
  latency_ms: Schema.Struct({
    classify: LatencySummary,
    first_token: LatencySummary,
    first_sentence: LatencySummary,
    total: LatencySummary
  }),
  /** summed over the session's answered turns */
  usage: Schema.Struct({
    input_tokens: Schema.Number,
    output_tokens: Schema.Number,
    /** null when a turn used a model without a price, or was not metered */
    estimated_cost_usd: Schema.NullOr(Schema.Number)
  }),
  closed_at: Schema.String
})
export type SessionReport = typeof SessionReport.Type

/**
 * The conversation the models see: the student's and the tutor's lines, oldest first. A teacher's
 * messages stay out of it, so no model takes a teacher's words for its own.
 */
export const conversationOf = (turns: ReadonlyArray<TranscriptTurn>, count: number): ReadonlyArray<ConversationTurn> =>
  turns.flatMap((turn): ReadonlyArray<ConversationTurn> =>
    turn.speaker === "teacher"
      ? []
      : [{ role: turn.speaker, text: turn.text, ...(turn.subject === null ? {} : { subject: turn.subject }) }]
  ).slice(-count)

/**
 * Per-session memory of the tutor: the transcript (for the classifier's context and for late
 * teachers), routing decisions, guardrail and escalation counters. Implementations bound what
 * they keep and forget idle sessions.
 */
export class Sessions extends Context.Service<Sessions, {
  readonly record: (sessionId: string, event: SessionEvent) => Effect.Effect<void>
  /** the last `count` turns as conversation context, oldest first */
  readonly recentTurns: (sessionId: string, count: number) => Effect.Effect<ReadonlyArray<ConversationTurn>>
  readonly transcript: (sessionId: string) => Effect.Effect<ReadonlyArray<TranscriptTurn>>
  /** builds the report of the session and forgets it */
  readonly close: (sessionId: string) => Effect.Effect<SessionReport>
}>()("tutor/Sessions") {}
