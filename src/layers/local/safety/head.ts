import { Schema } from "effect"
import { SAFETY_CATEGORIES } from "../../../domain/safety.ts"
import type { SafetyVerdict } from "../../../services/Safety.ts"
import { MODEL_LABELS, ModelLabel } from "./corpus.ts"

const Matrix = Schema.Array(Schema.Array(Schema.Number))
const Vector = Schema.Array(Schema.Number)

const Dense = Schema.Struct({
  /** one row per output unit */
  weights: Matrix,
  bias: Vector
})
type Dense = typeof Dense.Type

/**
 * The trained classifier head over sentence vectors, as `npm run train:safety` writes it:
 * an optional ReLU hidden layer, then a softmax over `labels`, and the decision thresholds fitted
 * by cross-validation on the training lines.
 */
export const SafetyHead = Schema.Struct({
  encoder: Schema.String,
  labels: Schema.Array(ModelLabel),
  hidden: Schema.NullOr(Dense),
  output: Dense,
  thresholds: Schema.Struct({
    /** the summed probability of the safety categories from which any message is a concern */
    escalate: Schema.Number,
    /** from here a personal message is not clear: the tutor checks in (see `verdictOf`) */
    unsure: Schema.Number
  }),
  training: Schema.Struct({
    lines: Schema.Int,
    examples: Schema.Int,
    corpusSha256: Schema.String,
    crossValidation: Schema.Record(Schema.String, Schema.Number)
  })
})
export type SafetyHead = typeof SafetyHead.Type

/** A dense layer as trained (Float64Array rows) or as shipped (JSON arrays). */
export interface DenseLayer {
  readonly weights: ReadonlyArray<ArrayLike<number>>
  readonly bias: ArrayLike<number>
}

/** `out = weights · input + bias` */
export const affine = (layer: DenseLayer, input: ArrayLike<number>, out = new Float64Array(layer.bias.length)): Float64Array => {
  for (let unit = 0; unit < out.length; unit++) {
    const row = layer.weights[unit]
    let sum = layer.bias[unit] ?? 0
    if (row !== undefined) for (let i = 0; i < row.length; i++) sum += (row[i] ?? 0) * (input[i] ?? 0)
    out[unit] = sum
  }
  return out
}

export const relu = (values: Float64Array): Float64Array => values.map((x) => Math.max(0, x))

export const softmaxInPlace = (logits: Float64Array): Float64Array => {
  let max = -Infinity
  for (const value of logits) max = Math.max(max, value)
  let sum = 0
  for (let i = 0; i < logits.length; i++) {
    logits[i] = Math.exp((logits[i] ?? 0) - max)
    sum += logits[i] ?? 0
  }
  for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] ?? 0) / sum
  return logits
}

/** The network's probabilities (in the order of its output units) for one sentence vector. */
export const forward = (hidden: DenseLayer | null, output: DenseLayer, vector: ArrayLike<number>): Float64Array =>
  softmaxInPlace(affine(output, hidden === null ? vector : relu(affine(hidden, vector))))

export type LabelProbabilities = ReadonlyMap<ModelLabel, number>

/** The head's probability for every label, for one sentence vector. */
export const predict = (head: SafetyHead, vector: ReadonlyArray<number>): LabelProbabilities => {
  const probabilities = forward(head.hidden, head.output, vector)
  const index = new Map(head.labels.map((label, position) => [label, position]))
  return new Map(MODEL_LABELS.map((label) => [label, probabilities[index.get(label) ?? -1] ?? 0]))
}

const SAFETY_LABELS: ReadonlySet<ModelLabel> = new Set(SAFETY_CATEGORIES)

/** How likely the reading is a concern of any category. */
export const concernScore = (probabilities: LabelProbabilities): number => {
  let score = 0
  for (const [label, probability] of probabilities) if (SAFETY_LABELS.has(label)) score += probability
  return score
}

/** The message reads as schoolwork rather than as something personal (small talk or a worry). */
export const isSchoolwork = (probabilities: LabelProbabilities): boolean =>
  (probabilities.get("math") ?? 0) + (probabilities.get("history") ?? 0) + (probabilities.get("english") ?? 0) >
    (probabilities.get("chat") ?? 0) + concernScore(probabilities)

/** A personal message more likely a concern than not is one, below the schoolwork threshold too. */
const PERSONAL_CONCERN = 0.5

/**
 * The head's verdict on a message from its reading of the latest message alone and the score of
 * its most worrying reading (see `readingsOf`). A message that reads as schoolwork needs the high
 * `escalate` score; a personal one is a concern from even odds, and `unsure` from `unsure` (the
 * tutor checks in) unless it reads more as small talk than as a worry. The training script fits
 * both thresholds with this very function.
 */
export const verdictOf = (
  thresholds: SafetyHead["thresholds"],
  latest: LabelProbabilities,
  worstScore: number
): SafetyVerdict => {
  if (worstScore >= thresholds.escalate) return "concern"
  if (worstScore < thresholds.unsure) return "clear"
  if (isSchoolwork(latest)) return "unsure"
  if (worstScore >= PERSONAL_CONCERN) return "concern"
  return worstScore > (latest.get("chat") ?? 0) ? "unsure" : "clear"
}

/** Whether the tutor brings in a teacher for this verdict: every concern, and an unsure personal message. */
export const escalates = (verdict: SafetyVerdict, latest: LabelProbabilities): boolean =>
  verdict === "concern" || (verdict === "unsure" && !isSchoolwork(latest))
