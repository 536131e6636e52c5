import { Duration, Effect, Layer, Option, Stream } from "effect"
import { ProviderError } from "../../services/ProviderError.ts"
import {
  type AnswerSubject,
  type Classification,
  type ConversationTurn,
  Specialists
} from "../../services/Specialists.ts"
import { type TokenUsage, UsageMeter } from "../../services/Usage.ts"

/** One scripted piece of a specialist answer, released after `delay` (Effect `Clock`, so TestClock drives it). */
export interface ScriptedDelta {
  readonly text: string
  readonly delay?: Duration.Input
}

export interface SpecialistsScript {
  /** fixed classification per question; `ProviderError` makes the classifier fail */
  readonly classify?: (text: string, recentTurns: ReadonlyArray<ConversationTurn>) => Classification | ProviderError
  readonly classifyDelay?: Duration.Input
  /** the quick guess per question (speculative routing); none unless scripted */
  readonly guess?: (text: string) => AnswerSubject | undefined
  /** scripted answer per question; a `ProviderError` element fails the stream at that point */
  readonly answer?: (
    subject: AnswerSubject,
    question: string,
    history: ReadonlyArray<ConversationTurn>
  ) => ReadonlyArray<ScriptedDelta | ProviderError>
  /** tokens each answer reports to the turn's meter when its stream ends, as the live providers do */
  readonly usage?: TokenUsage
  /** sees every call and its end ("completed" or "interrupted") */
  readonly onEvent?: (event: string) => void
}

export const DEFAULT_ANSWER: ReadonlyArray<ScriptedDelta> = [
  { text: "25% of 80 is " },
  { text: "20. That's because 0.25 " },
  { text: "times 80 equals 20." }
]

export const scriptedFailure = (operation: string, reason: ProviderError["reason"] = "server_error") =>
  new ProviderError({ provider: "test", operation, reason, detail: "scripted failure" })

/** Deterministic specialists for tests: fixed classifications, scripted streams with chosen delays. */
export const testSpecialists = (script: SpecialistsScript = {}): Layer.Layer<Specialists> =>
  Layer.succeed(
    Specialists,
    Specialists.of({
      classify: Effect.fn("Specialists.classify")(function*(text, recentTurns) {
        script.onEvent?.(`classify:${text}`)
        if (script.classifyDelay !== undefined) yield* Effect.sleep(script.classifyDelay)
        const result = script.classify?.(text, recentTurns) ?? { subject: "math", confidence: 0.95, raw: "math" }
        if (result instanceof ProviderError) return yield* result
        return result
      }),
      guess: (text) => Effect.succeed(Option.fromUndefinedOr(script.guess?.(text))),
      answer: (subject, question, history) =>
        Stream.fromIterable(script.answer?.(subject, question, history) ?? DEFAULT_ANSWER).pipe(
          Stream.mapEffect((delta) =>
            delta instanceof ProviderError
              ? Effect.fail(delta)
              : Effect.as(delta.delay === undefined ? Effect.void : Effect.sleep(delta.delay), delta.text)
          ),
          Stream.onStart(Effect.sync(() => script.onEvent?.(`answer:${subject}:${question}`))),
          Stream.onExit((exit) =>
            Effect.gen(function*() {
              if (script.usage !== undefined) (yield* UsageMeter).record(script.usage)
              script.onEvent?.(exit._tag === "Success" ? "answer:completed" : "answer:ended-early")
            })
          )
        )
    })
  )
