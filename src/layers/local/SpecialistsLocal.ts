import { Effect, Layer, Option, Stream } from "effect"
import { type AnswerSubject, type ConversationTurn, Specialists } from "../../services/Specialists.ts"
import { answerFor } from "./answers.ts"
import { classifyLocally } from "./classifier/Classifier.ts"

/** words per streamed chunk: small enough to look live, large enough not to flood the consumer */
const WORDS_PER_CHUNK = 4

/** the text cut into chunks that concatenate back to exactly the same text */
export const toChunks = (text: string): ReadonlyArray<string> => {
  const pieces = text.match(/\S+\s*/g) ?? []
  const chunks: Array<string> = []
  for (let i = 0; i < pieces.length; i += WORDS_PER_CHUNK) chunks.push(pieces.slice(i, i + WORDS_PER_CHUNK).join(""))
  return chunks
}

const classify = Effect.fn("Specialists.classify")(function*(text: string, recentTurns: ReadonlyArray<ConversationTurn>) {
  const classification = classifyLocally(text, recentTurns)
  yield* Effect.annotateCurrentSpan({
    "classifier.provider": "local",
    "classifier.subject": classification.subject,
    "classifier.confidence": classification.confidence
  })
  return classification
})

const compose = Effect.fn("Specialists.answer")(function*(
  subject: AnswerSubject,
  question: string,
  history: ReadonlyArray<ConversationTurn>
) {
  yield* Effect.annotateCurrentSpan({ "specialist.provider": "local", "specialist.subject": subject })
  return answerFor(subject, question, history).join(" ")
})

/** Specialists without keys: the lexical classifier, the math solver and the built-in notes. */
export const SpecialistsLocal: Layer.Layer<Specialists> = Layer.succeed(
  Specialists,
  Specialists.of({
    classify,
    answer: (subject, question, history) =>
      Stream.unwrap(compose(subject, question, history).pipe(Effect.map((text) => Stream.fromIterable(toChunks(text))))),
    // classifying is already local and instant: nothing to win by guessing
    guess: () => Effect.succeed(Option.none())
  })
)
