import { type Cause, Clock, Effect, Fiber, Option, Queue, Schema, type Scope, Stream } from "effect"
import type { Guardrail } from "../services/Guardrail.ts"
import type { Safety } from "../services/Safety.ts"
import { Speech } from "../services/Speech.ts"
import { Prices, summarizeUsage, type TokenUsage, UsageMeter } from "../services/Usage.ts"
import {
  type AnswerSubject,
  type Classification,
  ConversationTurn,
  Specialists,
  type Subject
} from "../services/Specialists.ts"
import { type EscalationTrigger, type TurnEvent, type TurnOutcome, TurnStage } from "./events.ts"
import { GUARDRAIL_LOOKAHEAD, guardSentence } from "./guardrail.ts"
import {
  assessLocally,
  categoryFor,
  checkInOf,
  classifierEscalationOf,
  concernOf,
  localEscalation,
  moderateInput,
  moderationEvidence,
  type SafetyEscalation,
  SMALL_TALK_REPLY,
  withEvidence
} from "./safety.ts"
import { toSentences } from "./segmenter.ts"

/** Spoken when a turn goes to a teacher (reference literal). */
export const ESCALATION_SENTENCE = "I'm connecting you with a teacher who can help with this."
/** Spoken when the classifier is unsure, instead of guessing a subject. */
export const CLARIFY_SENTENCE =
  "I want to be sure I help with the right subject. Is your question about math, history, or English?"

export const DEFAULT_CONFIDENCE_THRESHOLD = 0.6
/** Turns of the session the classifier and specialists see. */
export const RECENT_TURNS = 6

/** One student turn to answer; a schema because a worker process may answer it. */
export const TurnRequest = Schema.Struct({
  sessionId: Schema.String,
  studentText: Schema.String,
  /** the session so far, oldest first */
  history: Schema.Array(ConversationTurn),
  /** which front door runs the turn, for traces */
  version: Schema.optionalKey(Schema.Literals(["a", "b", "cli"]))
})
export type TurnRequest = typeof TurnRequest.Type

export interface TurnOptions {
  /** speak the answer with this voice (emits `audio` events); no voice → text only */
  readonly voice?: string
  readonly confidenceThreshold?: number
}

export interface RoutedClassification extends Classification {
  readonly fallback: boolean
  readonly fallbackReason?: string
}

/** A stage failed; the turn ends with a `failed` event instead of a broken stream. */
class StageFailed extends Schema.TaggedError<StageFailed>()("StageFailed", {
  stage: TurnStage,
  message: Schema.String
}) {}

const failAt = (stage: TurnStage) => (error: { readonly message: string }) =>
  new StageFailed({ stage, message: error.message })

/**
 * Classifies with the session's recent turns. Any failure (error, timeout, unparseable label)
 * falls back to english with confidence 0.5, as the reference did, and says so.
 */
export const classifyTurn = Effect.fn("classify")(function*(
  text: string,
  recentTurns: ReadonlyArray<ConversationTurn>
) {
  const specialists = yield* Specialists
  const routed: RoutedClassification = yield* specialists.classify(text, recentTurns).pipe(
    Effect.map((classification): RoutedClassification => ({ ...classification, fallback: false })),
    Effect.catchTag("ProviderError", (error) =>
      Effect.as(
        Effect.logWarning("classifier failed; routing to english", error.message),
        { subject: "english", confidence: 0.5, raw: "", fallback: true, fallbackReason: error.message } as const
      ))
  )
  yield* Effect.annotateCurrentSpan({
    "classify.subject": routed.subject,
    "classify.confidence": routed.confidence,
    "classify.fallback": routed.fallback
  })
  return routed
})

/** Mutable figures of one run of a turn; created fresh for every run of the stream. */
interface Tally {
  readonly started: number
  classifyMs: number
  firstTokenMs: number | null
  firstSentenceMs: number | null
  firstAudioMs: number | null
  readonly raw: Array<string>
  readonly spoken: Array<string>
  flagged: number
  readonly tokens: Array<TokenUsage>
}

const elapsed = (tally: Tally) => Effect.map(Clock.currentTimeMillis, (now) => now - tally.started)

/** A sentence's speech as it streams from the provider, in its own span. */
const speechOf = (text: string, sentenceIndex: number, voice: string) =>
  Stream.unwrap(Effect.gen(function*() {
    const speech = yield* Speech
    const requested = yield* Clock.currentTimeMillis
    let bytes = 0
    let firstByteMs = -1
    return speech.synthesize(text, voice).pipe(
      Stream.tap((pcm) =>
        Effect.gen(function*() {
          bytes += pcm.length
          if (firstByteMs < 0) firstByteMs = (yield* Clock.currentTimeMillis) - requested
        })
      ),
      Stream.onEnd(Effect.suspend(() =>
        Effect.annotateCurrentSpan({ "tts.bytes": bytes, "tts.time_to_first_byte_ms": firstByteMs })
      ))
    )
  })).pipe(
    Stream.withSpan("tts", { attributes: { "tts.sentence_index": sentenceIndex, "tts.voice": voice } }),
    Stream.mapError(failAt("tts"))
  )

/** The sentence, then its audio: from `early` when its speech was started ahead, else requested now. */
const speak = (
  text: string,
  sentenceIndex: number,
  tally: Tally,
  voice: string | undefined,
  early: Stream.Stream<Uint8Array, StageFailed> | undefined
): Stream.Stream<TurnEvent, StageFailed, Speech> => {
  const sentence = Stream.succeed<TurnEvent>({ type: "sentence", index: sentenceIndex, text })
  if (voice === undefined) return sentence
  const audio = (early ?? speechOf(text, sentenceIndex, voice)).pipe(
    Stream.tap(() =>
      tally.firstAudioMs === null
        ? Effect.map(elapsed(tally), (ms) => {
          tally.firstAudioMs = ms
        })
        : Effect.void
    ),
    Stream.map((pcm): TurnEvent => ({ type: "audio", sentenceIndex, pcm }))
  )
  return Stream.concat(sentence, audio)
}

const release = (
  text: string,
  tally: Tally,
  voice: string | undefined,
  early?: Stream.Stream<Uint8Array, StageFailed>
) =>
  Stream.unwrap(Effect.gen(function*() {
    if (tally.firstSentenceMs === null) tally.firstSentenceMs = yield* elapsed(tally)
    const index = tally.spoken.length
    tally.spoken.push(text)
    return speak(text, index, tally, voice, early)
  }))

const done = (tally: Tally, outcome: TurnOutcome, subject: Subject) =>
  Stream.fromEffect(Effect.gen(function*() {
    const totalMs = yield* elapsed(tally)
    const usage = summarizeUsage(tally.tokens, yield* Prices)
    yield* Effect.annotateCurrentSpan({
      "tutor.input_tokens": usage.inputTokens,
      "tutor.output_tokens": usage.outputTokens,
      "tutor.estimated_cost_usd": usage.estimatedCostUsd ?? -1,
      "tutor.outcome": outcome,
      "tutor.flagged_count": tally.flagged,
      "tutor.sentences": tally.spoken.length,
      "tutor.first_audio_ms": tally.firstAudioMs ?? -1,
      "tutor.total_ms": totalMs
    })
    const event: TurnEvent = {
      type: "done",
      outcome,
      subject,
      text: tally.spoken.join(" "),
      rawText: tally.raw.join("").trim(),
      sentenceCount: tally.spoken.length,
      flaggedCount: tally.flagged,
      latency: {
        classifyMs: tally.classifyMs,
        firstTokenMs: tally.firstTokenMs,
        firstSentenceMs: tally.firstSentenceMs,
        firstAudioMs: tally.firstAudioMs,
        totalMs
      },
      usage
    }
    return event
  }))

/** A turn answered by fixed sentences (clarification, small talk), said in order. */
const fixedAnswer = (
  tally: Tally,
  subject: Subject,
  outcome: TurnOutcome,
  sentences: ReadonlyArray<string>,
  voice: string | undefined
) =>
  Stream.fromIterable(sentences).pipe(
    Stream.flatMap((sentence) => release(sentence, tally, voice)),
    Stream.concat(done(tally, outcome, subject))
  )

/** A turn that goes to a teacher: the escalation, then what the tutor says about it. */
const escalated = (
  tally: Tally,
  trigger: EscalationTrigger,
  safety: SafetyEscalation,
  voice: string | undefined
) =>
  Stream.succeed<TurnEvent>({ type: "escalation", trigger, reason: safety.reason, finding: safety.finding }).pipe(
    Stream.concat(fixedAnswer(tally, "escalate", "escalated", [...safety.reply, ESCALATION_SENTENCE], voice))
  )

/**
 * The specialist's answer as it streams from the provider, in its own span. Nothing here touches
 * the turn's tally: a speculative answer may still be discarded.
 */
const specialistDeltas = (
  subject: AnswerSubject,
  request: TurnRequest,
  recent: ReadonlyArray<ConversationTurn>,
  speculative: boolean
) =>
  Stream.unwrap(Effect.gen(function*() {
    const specialists = yield* Specialists
    const started = yield* Clock.currentTimeMillis
    let firstTokenMs = -1
    let deltas = 0
    let characters = 0
    return specialists.answer(subject, request.studentText, recent).pipe(
      Stream.tap((delta) =>
        Effect.gen(function*() {
          if (firstTokenMs < 0) firstTokenMs = (yield* Clock.currentTimeMillis) - started
          deltas++
          characters += delta.length
        })
      ),
      Stream.onEnd(Effect.suspend(() =>
        Effect.annotateCurrentSpan({
          "specialist.time_to_first_token_ms": firstTokenMs,
          "specialist.deltas": deltas,
          "specialist.characters": characters
        })
      ))
    )
  })).pipe(
    Stream.withSpan("specialist", { attributes: { "specialist.subject": subject, "specialist.speculative": speculative } }),
    Stream.mapError(failAt("specialist"))
  )

/**
 * A stream started before anyone knows whether it will be used (speculation): what it yields
 * waits in a buffer until `items` is read, or `cancel` stops it and its provider request.
 */
interface RunningAhead<A> {
  readonly items: Stream.Stream<A, StageFailed>
  readonly cancel: Effect.Effect<void>
}

/** Starts `stream` now, living in `scope` (the turn's stream), not just in the caller. */
const runAhead = <A, R>(stream: Stream.Stream<A, StageFailed, R>, scope: Scope.Scope) =>
  Effect.gen(function*() {
    const buffer = yield* Queue.unbounded<A, StageFailed | Cause.Done>()
    const fiber = yield* Stream.runIntoQueue(stream, buffer).pipe(Effect.forkIn(scope))
    const ahead: RunningAhead<A> = { items: Stream.fromQueue(buffer), cancel: Fiber.interrupt(fiber) }
    return ahead
  })

const specialistAnswer = (
  tally: Tally,
  subject: AnswerSubject,
  source: Stream.Stream<string, StageFailed, Specialists>,
  voice: string | undefined
) => {
  const deltas = source.pipe(
    Stream.tap((delta) =>
      Effect.gen(function*() {
        if (tally.firstTokenMs === null) tally.firstTokenMs = yield* elapsed(tally)
        tally.raw.push(delta)
      })
    )
  )
  // the first sentence's speech starts with its moderation (speculative speech) and is used only
  // if the sentence passes unchanged: the moderation wait leaves the time to first audio. Later
  // sentences have the whole first one's playback to be synthesised in, so they wait for their
  // verdict and no request is spent on a sentence that will not be said.
  return Stream.unwrap(Effect.gen(function*() {
    const scope = yield* Effect.scope
    const startSpeech = (sentence: string, index: number) =>
      voice === undefined || index > 0 ? Effect.succeed(undefined) : runAhead(speechOf(sentence, index, voice), scope)
    let lastWasWithheld = false
    return toSentences(deltas).pipe(
      Stream.mapEffect((sentence, index) =>
        Effect.gen(function*() {
          const early = yield* startSpeech(sentence, index)
          return { guarded: yield* guardSentence(sentence, index), early }
        }), { concurrency: GUARDRAIL_LOOKAHEAD }),
      Stream.flatMap(({ early, guarded }) => {
        const withheldAgain = guarded.action === "withheld" && lastWasWithheld
        lastWasWithheld = guarded.action === "withheld"
        const audit: Stream.Stream<TurnEvent> = guarded.action === "passed" ? Stream.empty : Stream.succeed<TurnEvent>({
          type: "guardrail",
          index: guarded.index,
          action: guarded.action,
          original: guarded.original,
          replacement: guarded.text,
          categories: guarded.categories,
          scores: guarded.scores,
          latencyMs: guarded.latencyMs,
          ...(guarded.detail === undefined ? {} : { detail: guarded.detail })
        })
        if (guarded.action !== "passed") tally.flagged++
        const usable = guarded.action === "passed" ? early : undefined
        // what was said instead (rewrite, apology, withheld notice) is spoken from its own request
        const discard = early !== undefined && usable === undefined ? early.cancel : Effect.void
        // a run of unverifiable sentences is announced once, not once per sentence
        const next = withheldAgain
          ? audit
          : Stream.concat(audit, release(guarded.text, tally, voice, usable?.items))
        return Stream.unwrap(Effect.as(discard, next))
      }),
      Stream.concat(done(tally, "answered", subject))
    )
  }))
}

/**
 * One tutoring turn, shared by Version A and Version B: the local safety check (with the student's
 * recent messages) → then, in parallel, input moderation, the classifier and a speculative
 * specialist → specialist stream → sentences → guardrail running ahead → speech per released
 * sentence. Any check that sees a concern escalates; none can clear what another flagged.
 * Interrupting the consumer (barge-in) interrupts every upstream call at once. Failures end the
 * stream with a `failed` event; the stream itself never fails.
 */
export const answerTurn = (
  request: TurnRequest,
  options: TurnOptions = {}
): Stream.Stream<TurnEvent, never, Guardrail | Safety | Specialists | Speech> =>
  Stream.unwrap(Effect.gen(function*() {
    const tally: Tally = {
      started: yield* Clock.currentTimeMillis,
      classifyMs: 0,
      firstTokenMs: null,
      firstSentenceMs: null,
      firstAudioMs: null,
      raw: [],
      spoken: [],
      flagged: 0,
      tokens: []
    }
    const meter = { record: (usage: TokenUsage) => tally.tokens.push(usage) }
    const voice = options.voice
    const recent = request.history.slice(-RECENT_TURNS)
    const classifiedAs = (subject: Subject, confidence: number, raw: string) =>
      Effect.map(elapsed(tally), (latencyMs) => {
        tally.classifyMs = latencyMs
        return Stream.succeed<TurnEvent>({ type: "classified", subject, confidence, raw, fallback: false, latencyMs })
      })
    const escalate = (trigger: EscalationTrigger, safety: SafetyEscalation, confidence: number, raw: string) =>
      Effect.map(classifiedAs("escalate", confidence, raw), (classified) =>
        Stream.concat(classified, escalated(tally, trigger, safety, voice)))

    // no provider reads the message before the local check has passed it; a personal message it
    // is unsure of is never answered as schoolwork (nor read by a provider): the tutor checks in
    const local = yield* assessLocally(request.studentText, request.history)
    const decided = localEscalation(local)
    if (decided !== undefined) return yield* escalate("flagged_input", decided, local.score, `safety check: ${local.verdict}`)

    // the guessed specialist starts first, as it is the longest wait; its deltas wait in a queue
    // until the classifier agrees
    const guessed = yield* (yield* Specialists).guess(request.studentText, recent)
    const scope = yield* Effect.scope
    const speculation = yield* Option.match(guessed, {
      onNone: () => Effect.succeed(undefined),
      onSome: (subject) =>
        Effect.map(
          runAhead(specialistDeltas(subject, request, recent, true).pipe(Stream.provideService(UsageMeter, meter)), scope),
          (ahead) => ({ subject, ...ahead })
        )
    })
    // classification starts with the input moderation, not after it: moderation is off the
    // critical path, and a flagged message interrupts the classifier it no longer needs
    const classifying = yield* classifyTurn(request.studentText, recent).pipe(
      Effect.provideService(UsageMeter, meter),
      Effect.forkChild
    )
    const discard = speculation === undefined ? Effect.void : speculation.cancel
    const stopAll = Effect.andThen(discard, Fiber.interrupt(classifying))
    const moderation = yield* moderateInput(request.studentText)
    if (moderation._tag === "Flagged") {
      yield* stopAll
      const evidence = withEvidence(local, moderationEvidence(moderation.result))
      return yield* escalate("flagged_input", concernOf(categoryFor(local, moderation.result.categories), evidence), 1, "input guardrail")
    }
    if (moderation._tag === "Inconclusive") {
      yield* stopAll
      const evidence = withEvidence(local, [{ check: "lexicon", label: "inconclusive", score: 0.5 }])
      return yield* escalate("flagged_input", checkInOf(local.category, evidence), 0.5, `input guardrail: ${moderation.detail}`)
    }

    const routed = yield* Fiber.join(classifying)
    tally.classifyMs = yield* elapsed(tally)
    yield* Effect.annotateCurrentSpan({
      "tutor.subject": routed.subject,
      "tutor.confidence": routed.confidence,
      "tutor.fallback": routed.fallback
    })
    if (routed.subject === "escalate") {
      yield* discard
      const evidence = withEvidence(local, [{ check: "classifier", label: routed.category ?? "escalate", score: routed.confidence }])
      return yield* escalate("classifier", classifierEscalationOf(local, routed.category, evidence), routed.confidence, routed.raw)
    }
    const classified = Stream.succeed<TurnEvent>({
      type: "classified",
      subject: routed.subject,
      confidence: routed.confidence,
      raw: routed.raw,
      fallback: routed.fallback,
      latencyMs: tally.classifyMs,
      ...(routed.fallbackReason === undefined ? {} : { fallbackReason: routed.fallbackReason })
    })

    const threshold = options.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD
    const answering = routed.fallback || routed.confidence >= threshold
    const kept = answering && speculation?.subject === routed.subject ? speculation : undefined
    if (kept === undefined) yield* discard
    yield* Effect.annotateCurrentSpan({
      "tutor.speculation": speculation === undefined ? "none" : kept === undefined ? "discarded" : "kept"
    })
    const answer = answering
      ? specialistAnswer(
        tally,
        routed.subject,
        kept === undefined ? specialistDeltas(routed.subject, request, recent, false) : kept.items,
        voice
      )
      // small talk is welcomed, not asked "which subject?"
      : fixedAnswer(tally, routed.subject, "clarify", [local.schoolwork ? CLARIFY_SENTENCE : SMALL_TALK_REPLY], voice)

    return Stream.concat(classified, answer).pipe(Stream.provideService(UsageMeter, meter))
  })).pipe(
    Stream.catchTag("StageFailed", (failure) =>
      Stream.succeed<TurnEvent>({ type: "failed", stage: failure.stage, message: failure.message })),
    Stream.withSpan("tutor.turn", {
      attributes: { "session.id": request.sessionId, "tutor.version": request.version ?? "cli" }
    })
  )
