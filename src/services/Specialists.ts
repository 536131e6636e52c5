import { Context, type Effect, type Option, Schema, type Stream } from "effect"
import { SafetyCategory } from "../domain/safety.ts"
import type { ProviderError } from "./ProviderError.ts"

export const Subject = Schema.Literals(["math", "history", "english", "escalate"])
export type Subject = typeof Subject.Type

/** Subjects a specialist answers; `escalate` is handled by the tutor, never by a model. */
export const AnswerSubject = Schema.Literals(["math", "history", "english"])
export type AnswerSubject = typeof AnswerSubject.Type

export const ConversationTurn = Schema.Struct({
  role: Schema.Literals(["student", "tutor"]),
  text: Schema.String,
  subject: Schema.optionalKey(Subject)
})
export type ConversationTurn = typeof ConversationTurn.Type

export const Confidence = Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))

export const Classification = Schema.Struct({
  subject: Subject,
  confidence: Confidence,
  /** what the classifier actually said, for audit */
  raw: Schema.String,
  /** why, when the subject is `escalate` and the classifier named a safety category */
  category: Schema.optionalKey(SafetyCategory)
})
export type Classification = typeof Classification.Type

/**
 * The subject experts: the intent classifier and the streaming answerers.
 * `recentTurns`/`history` are the session's last turns, oldest first.
 */
export class Specialists extends Context.Service<Specialists, {
  readonly classify: (
    text: string,
    recentTurns: ReadonlyArray<ConversationTurn>
  ) => Effect.Effect<Classification, ProviderError>
  readonly answer: (
    subject: AnswerSubject,
    question: string,
    history: ReadonlyArray<ConversationTurn>
  ) => Stream.Stream<string, ProviderError>
  /**
   * A quick subject guess made without a provider call, or none when unsure or when `classify`
   * is itself that quick. The turn starts the guessed specialist while `classify` runs and keeps
   * its answer only if the classifier agrees (speculative routing): the classifier's latency
   * leaves the critical path, at the price of an interrupted request when the guess is wrong.
   */
  readonly guess: (
    text: string,
    recentTurns: ReadonlyArray<ConversationTurn>
  ) => Effect.Effect<Option.Option<AnswerSubject>>
}>()("tutor/Specialists") {}
