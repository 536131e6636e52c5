import { Schema } from "effect"
import { AnswerSubject, Subject } from "../services/Specialists.ts"

/** Data-channel topics of the room (reference literals) and the agents' own hand-back topic. */
export const PIPELINE_STEPS_TOPIC = "pipeline-steps"
export const TRANSCRIPT_TOPIC = "transcript"
export const HANDBACK_TOPIC = "agent-handback"

/** The stages the web app's FlowVisualizer lights; `null` means idle. */
export const PipelineStep = Schema.Literals(["stt", "orchestrator", "specialist", "guardrail", "tts"])
export type PipelineStep = typeof PipelineStep.Type

export const PipelineStepMessage = Schema.Struct({
  type: Schema.Literal("pipeline_step"),
  step: Schema.NullOr(PipelineStep)
})
export type PipelineStepMessage = typeof PipelineStepMessage.Type

export const Speaker = Schema.Literals(["student", "tutor"])
export type Speaker = typeof Speaker.Type

export const TranscriptMessage = Schema.Struct({
  speaker: Speaker,
  text: Schema.String,
  subject: Schema.NullOr(Subject)
})
export type TranscriptMessage = typeof TranscriptMessage.Type

/** The English worker tells the orchestrator's session that it is done with the student. */
export const HandbackMessage = Schema.Struct({
  type: Schema.Literal("handback"),
  subject: AnswerSubject
})
export type HandbackMessage = typeof HandbackMessage.Type

/** The job metadata of a `learning-english` dispatch: which session, and what to answer first. */
export const EnglishJob = Schema.Struct({
  sessionId: Schema.String,
  question: Schema.String
})
export type EnglishJob = typeof EnglishJob.Type

/** One data packet ready for `publishData`. */
export interface OutgoingData {
  readonly topic: string
  readonly payload: Uint8Array
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const PipelineStepJson = Schema.fromJsonString(PipelineStepMessage)
const TranscriptJson = Schema.fromJsonString(TranscriptMessage)
const HandbackJson = Schema.fromJsonString(HandbackMessage)
export const EnglishJobJson = Schema.fromJsonString(EnglishJob)

export const pipelineStepData = (step: PipelineStep | null): OutgoingData => ({
  topic: PIPELINE_STEPS_TOPIC,
  payload: encoder.encode(Schema.encodeSync(PipelineStepJson)({ type: "pipeline_step", step }))
})

export const transcriptData = (message: TranscriptMessage): OutgoingData => ({
  topic: TRANSCRIPT_TOPIC,
  payload: encoder.encode(Schema.encodeSync(TranscriptJson)(message))
})

export const handbackData = (message: HandbackMessage): OutgoingData => ({
  topic: HANDBACK_TOPIC,
  payload: encoder.encode(Schema.encodeSync(HandbackJson)(message))
})

/** Data packets come from other participants: decoded, never trusted. */
export const decodePipelineStep = (payload: Uint8Array) =>
  Schema.decodeUnknownResult(PipelineStepJson)(decoder.decode(payload))
export const decodeTranscript = (payload: Uint8Array) =>
  Schema.decodeUnknownResult(TranscriptJson)(decoder.decode(payload))
export const decodeHandback = (payload: Uint8Array) =>
  Schema.decodeUnknownResult(HandbackJson)(decoder.decode(payload))

