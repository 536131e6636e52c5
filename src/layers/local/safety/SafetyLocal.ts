import { Context, Effect, Layer, Schema } from "effect"
import { SAFETY_CATEGORIES, type SafetyCategory, type SafetyEvidence, SEVERITY } from "../../../domain/safety.ts"
import type { ModerationResult } from "../../../services/Guardrail.ts"
import { ProviderError } from "../../../services/ProviderError.ts"
import { Safety, type SafetyAssessment } from "../../../services/Safety.ts"
import { assessWithLexicon, MODERATION_CATEGORIES, type ModerationCategory } from "../moderation/Moderation.ts"
import { readingsOf } from "./corpus.ts"
import {
  concernScore,
  escalates,
  isSchoolwork,
  type LabelProbabilities,
  predict,
  SafetyHead,
  verdictOf
} from "./head.ts"
import headJson from "./head.json" with { type: "json" }
import { ENCODER_NAME, SentenceEncoder, SentenceEncoderThread } from "./sentenceEncoder.ts"

// Shipped with the code (rebuilt by `npm run train:safety`): a head that does not decode is a
// build error, reported when the module loads and by its test.
export const safetyHead: SafetyHead = Schema.decodeUnknownSync(SafetyHead)(headJson)

/** Sentences read recently, so the classifier reading the same message does not embed it again. */
const CACHE_SIZE = 256

/**
 * The embedded safety model: the sentence encoder and the trained head, one per process. It is
 * loaded and warmed up when the layer is built, so no turn waits for it.
 */
export class SafetyModel extends Context.Service<SafetyModel, {
  /** the head's probabilities for each text, in order */
  readonly read: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<LabelProbabilities>, ProviderError>
}>()("tutor/local/SafetyModel") {
  static readonly layer: Layer.Layer<SafetyModel, never, SentenceEncoder> = Layer.effect(
    SafetyModel,
    Effect.gen(function*() {
      const encoder = yield* SentenceEncoder
      if (safetyHead.encoder !== ENCODER_NAME) {
        return yield* Effect.die(`the safety head was trained on ${safetyHead.encoder}, not on ${ENCODER_NAME}`)
      }
      const cache = new Map<string, LabelProbabilities>()
      const remember = (text: string, probabilities: LabelProbabilities) => {
        cache.delete(text)
        cache.set(text, probabilities)
        const oldest = cache.keys().next()
        if (cache.size > CACHE_SIZE && oldest.done !== true) cache.delete(oldest.value)
      }
      const read = Effect.fn("SafetyModel.read")(function*(texts: ReadonlyArray<string>) {
        const missing = [...new Set(texts.filter((text) => !cache.has(text)))]
        const vectors = yield* encoder.embed(missing).pipe(
          Effect.mapError((error) =>
            new ProviderError({ provider: "local", operation: "SafetyModel.read", reason: "unavailable", detail: error.message })
          )
        )
        const fresh = new Map(missing.map((text, index) => [text, predict(safetyHead, vectors[index] ?? [])]))
        fresh.forEach((probabilities, text) => remember(text, probabilities))
        return texts.map((text) => fresh.get(text) ?? cache.get(text) ?? predict(safetyHead, []))
      })
      yield* Effect.orDie(read(["warming up the safety model"]))
      return SafetyModel.of({ read })
    })
  )
}

/** The model in a worker thread of this process. */
export const SafetyModelLive: Layer.Layer<SafetyModel> = SafetyModel.layer.pipe(Layer.provide(SentenceEncoderThread))

const isCategory = (label: string): label is SafetyCategory => SAFETY_CATEGORIES.some((category) => category === label)

/** An urgent category this close to the likeliest one is named instead: when in doubt, the more serious. */
const URGENT_NEAR_TIE = 0.75

const argmax = (probabilities: LabelProbabilities, keep: (category: SafetyCategory) => boolean) => {
  let category: SafetyCategory | undefined
  let best = -1
  for (const [label, probability] of probabilities) {
    if (isCategory(label) && keep(label) && probability > best) {
      best = probability
      category = label
    }
  }
  return { category, probability: best }
}

/** the category of concern of a reading: the likeliest, or an urgent one nearly as likely */
const likeliestCategory = (probabilities: LabelProbabilities): SafetyCategory => {
  const top = argmax(probabilities, () => true)
  const urgent = argmax(probabilities, (category) => SEVERITY[category] === "urgent")
  if (urgent.category !== undefined && urgent.probability >= URGENT_NEAR_TIE * top.probability) return urgent.category
  return top.category ?? "distress"
}

const rounded = (score: number) => Math.round(score * 1000) / 1000

const MODEL_SOURCE = "local:model"

/**
 * The model's verdict on a text in moderation's terms, for the words the lexicon cannot judge:
 * a concern (flagged with its category), schoolwork with nothing of concern, or undecided.
 */
export const readModel = (probabilities: LabelProbabilities):
  | { readonly _tag: "Concern" | "Schoolwork"; readonly result: ModerationResult }
  | { readonly _tag: "Undecided" } =>
{
  const score = concernScore(probabilities)
  const category = likeliestCategory(probabilities)
  const scores = { [category]: rounded(score) }
  const verdict = verdictOf(safetyHead.thresholds, probabilities, score)
  if (verdict === "concern") {
    return { _tag: "Concern", result: { flagged: true, categories: [category], scores, source: MODEL_SOURCE } }
  }
  if (!escalates(verdict, probabilities) && isSchoolwork(probabilities)) {
    return { _tag: "Schoolwork", result: { flagged: false, categories: [], scores, source: MODEL_SOURCE } }
  }
  return { _tag: "Undecided" }
}

/** the lexicon's categories in the taxonomy's terms */
const LEXICON_CATEGORY: Readonly<Record<ModerationCategory, SafetyCategory>> = {
  harassment: "harm_to_others",
  hate: "hate",
  self_harm: "self_harm",
  sexual: "sexual_content",
  violence: "weapons_violence",
  illicit: "drugs_alcohol"
}

/** The lexicon's sure hits (its strong phrases) in the taxonomy's terms, with their evidence. */
const lexiconHits = (text: string) => {
  const verdict = assessWithLexicon(text)
  if (verdict._tag !== "Decided") return []
  return verdict.result.categories.flatMap((name) => {
    const known = MODERATION_CATEGORIES.find((category) => category === name)
    if (known === undefined) return []
    const evidence: SafetyEvidence = { check: "lexicon", label: name, score: verdict.result.scores[name] ?? 1, turns: 1 }
    return [{ category: LEXICON_CATEGORY[known], evidence }]
  })
}

/**
 * The model takes every reading of the message (`readingsOf`: alone, with the student's open
 * earlier messages, clause by clause) and the most worrying one counts. A phrase the lexicon is
 * sure of ("kill myself") makes it a concern too: the lexicon stays only where it is precise.
 */
const assess = Effect.fn("Safety.assess")(function*(text: string, previous: ReadonlyArray<string>) {
  const model = yield* SafetyModel
  const taken = readingsOf(text, previous)
  const readings = (yield* model.read(taken.map((reading) => reading.text))).map((probabilities, index) => ({
    probabilities,
    turns: taken[index]?.turns ?? 1,
    score: concernScore(probabilities)
  }))
  const latest = readings[0]?.probabilities ?? new Map()
  const worst = readings.reduce((a, b) => (b.score > a.score ? b : a), { probabilities: latest, turns: 1, score: 0 })
  const hits = lexiconHits(text)
  const modelVerdict = verdictOf(safetyHead.thresholds, latest, worst.score)
  const [hit] = hits
  // the model names the category, unless only the lexicon saw anything
  const category = hit !== undefined && modelVerdict === "clear" ? hit.category : likeliestCategory(worst.probabilities)
  const assessment: SafetyAssessment = {
    verdict: hits.length > 0 ? "concern" : modelVerdict,
    category,
    score: rounded(worst.score),
    schoolwork: isSchoolwork(latest),
    evidence: [
      { check: "local_model", label: likeliestCategory(worst.probabilities), score: rounded(worst.score), turns: worst.turns },
      ...hits.map(({ evidence }) => evidence)
    ]
  }
  yield* Effect.annotateCurrentSpan({
    "safety.verdict": assessment.verdict,
    "safety.category": assessment.category,
    "safety.score": assessment.score
  })
  return assessment
})

/** The safety check without keys: also what runs first with live providers. */
export const SafetyLocal: Layer.Layer<Safety, never, SafetyModel> = Layer.effect(
  Safety,
  Effect.gen(function*() {
    const model = yield* SafetyModel
    return Safety.of({ assess: (text, previous) => assess(text, previous).pipe(Effect.provideService(SafetyModel, model)) })
  })
)

/** The safety check with its model, ready to provide. */
export const SafetyWithModel: Layer.Layer<Safety> = SafetyLocal.pipe(Layer.provide(SafetyModelLive))
