import { Schema } from "effect"
import { SafetyFinding } from "../domain/safety.ts"
import { Confidence, Subject } from "../services/Specialists.ts"
import { UsageSummary } from "../services/Usage.ts"

/** What became of one sentence on its way through the guardrail. */
export const GuardrailAction = Schema.Literals(["passed", "rewritten", "apology", "withheld"])
export type GuardrailAction = typeof GuardrailAction.Type

export const EscalationTrigger = Schema.Literals(["classifier", "flagged_input", "student_request", "api"])
export type EscalationTrigger = typeof EscalationTrigger.Type

/** How the turn was resolved. */
export const TurnOutcome = Schema.Literals(["answered", "clarify", "escalated"])
export type TurnOutcome = typeof TurnOutcome.Type

/** `worker`: the process answering the turn failed (see `TurnPipeline`) */
export const TurnStage = Schema.Literals(["input_guardrail", "classify", "specialist", "guardrail", "tts", "worker"])
export type TurnStage = typeof TurnStage.Type

const Millis = Schema.Number

export const Classified = Schema.Struct({
  type: Schema.Literal("classified"),
  subject: Subject,
  confidence: Confidence,
  raw: Schema.String,
  /** the classifier failed and the reference's english/0.5 default was used */
  fallback: Schema.Boolean,
  /** why the fallback was taken */
  fallbackReason: Schema.optionalKey(Schema.String),
  latencyMs: Millis
})

/** A safe sentence released for display and speech, in answer order. */
export const SentenceReleased = Schema.Struct({
  type: Schema.Literal("sentence"),
  index: Schema.Number,
  text: Schema.String
})

/** One sentence the guardrail did not pass unchanged: the audit record of what it did. */
export const GuardrailIntervention = Schema.Struct({
  type: Schema.Literal("guardrail"),
  index: Schema.Number,
  action: GuardrailAction,
  original: Schema.String,
  replacement: Schema.String,
  categories: Schema.Array(Schema.String),
  scores: Schema.Record(Schema.String, Schema.Number),
  detail: Schema.optionalKey(Schema.String),
  latencyMs: Millis
})

export const AudioChunk = Schema.Struct({
  type: Schema.Literal("audio"),
  sentenceIndex: Schema.Number,
  /** PCM16 LE mono 24 kHz */
  pcm: Schema.Uint8Array
})

export const EscalationRaised = Schema.Struct({
  type: Schema.Literal("escalation"),
  trigger: EscalationTrigger,
  reason: Schema.String,
  finding: SafetyFinding
})

export const TurnLatency = Schema.Struct({
  classifyMs: Millis,
  /** specialist's first text delta, from the start of the turn */
  firstTokenMs: Schema.NullOr(Millis),
  firstSentenceMs: Schema.NullOr(Millis),
  firstAudioMs: Schema.NullOr(Millis),
  totalMs: Millis
})
export type TurnLatency = typeof TurnLatency.Type

export const TurnDone = Schema.Struct({
  type: Schema.Literal("done"),
  outcome: TurnOutcome,
  subject: Subject,
  /** the safe answer as spoken */
  text: Schema.String,
  /** the specialist's answer before the guardrail */
  rawText: Schema.String,
  sentenceCount: Schema.Number,
  flaggedCount: Schema.Number,
  latency: TurnLatency,
  /** tokens of every model call the turn made, and what they cost by the price table */
  usage: UsageSummary
})

export const TurnFailed = Schema.Struct({
  type: Schema.Literal("failed"),
  stage: TurnStage,
  message: Schema.String
})

export const TurnEvent = Schema.Union([
  Classified,
  SentenceReleased,
  GuardrailIntervention,
  AudioChunk,
  EscalationRaised,
  TurnDone,
  TurnFailed
])
export type TurnEvent = typeof TurnEvent.Type
export type TurnDone = typeof TurnDone.Type
export type GuardrailIntervention = typeof GuardrailIntervention.Type
