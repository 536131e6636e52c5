import { Effect, Layer, Option, Stream } from "effect"
import { type AnswerSubject, type ConversationTurn, Specialists } from "../../services/Specialists.ts"
import { answerFor } from "./answers.ts"
import { classifyLocally, type ModelSubjects } from "./classifier/Classifier.ts"
import { SafetyModel } from "./safety/SafetyLocal.ts"

/** words per streamed chunk: small enough to look live, large enough not to flood the consumer */
const WORDS_PER_CHUNK = 4

/** the text cut into chunks that concatenate back to exactly the same text */
export const toChunks = (text: string): ReadonlyArray<string> => {
  const pieces = text.match(/\S+\s*/g) ?? []
  const chunks: Array<string> = []
  for (let i = 0; i < pieces.length; i += WORDS_PER_CHUNK) chunks.push(pieces.slice(i, i + WORDS_PER_CHUNK).join(""))
  return chunks
}

const compose = Effect.fn("Specialists.answer")(function*(
  subject: AnswerSubject,
  question: string,
  history: ReadonlyArray<ConversationTurn>
) {
  yield* Effect.annotateCurrentSpan({ "specialist.provider": "local", "specialist.subject": subject })
  return answerFor(subject, question, history).join(" ")
})

/**
 * Specialists without keys: the classifier (lexical cues and the sentence model's reading of the
 * message; the safety check has just read the same message, so the model's answer is cached), the
 * math solver and the built-in notes.
 */
export const SpecialistsLocal: Layer.Layer<Specialists, never, SafetyModel> = Layer.effect(
  Specialists,
  Effect.gen(function*() {
    const model = yield* SafetyModel
    const classify = Effect.fn("Specialists.classify")(function*(text: string, recentTurns: ReadonlyArray<ConversationTurn>) {
      const subjects = yield* model.read([text]).pipe(
        Effect.map(([probabilities]): ModelSubjects | undefined =>
          probabilities === undefined ? undefined : {
            math: probabilities.get("math") ?? 0,
            history: probabilities.get("history") ?? 0,
            english: probabilities.get("english") ?? 0
          }
        ),
        // routing goes on by the cues alone; the safety check has its own fallback
        Effect.catchTag("ProviderError", (error) =>
          Effect.as(Effect.logWarning("sentence model unavailable; routing by cues alone", error.message), undefined))
      )
      const classification = classifyLocally(text, recentTurns, subjects)
      yield* Effect.annotateCurrentSpan({
        "classifier.provider": "local",
        "classifier.subject": classification.subject,
        "classifier.confidence": classification.confidence
      })
      return classification
    })
    return Specialists.of({
      classify,
      answer: (subject, question, history) =>
        Stream.unwrap(compose(subject, question, history).pipe(Effect.map((text) => Stream.fromIterable(toChunks(text))))),
      // classifying is already local and quick: nothing to win by guessing
      guess: () => Effect.succeed(Option.none())
    })
  })
)
