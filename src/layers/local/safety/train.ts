/**
 * `npm run train:safety`: rebuilds `head.json` from `corpus/train/` (never `corpus/dev/`).
 * Deterministic: the same corpus and encoder give the same head.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect, FileSystem } from "effect"
import { fileURLToPath } from "node:url"
import { SAFETY_CATEGORIES } from "../../../domain/safety.ts"
import { corpusDigest, type CorpusLine, MODEL_LABELS, type ModelLabel, readCorpus, readingsOf, windowText } from "./corpus.ts"
import { type Example, fitNetwork, type FitOptions, type Network, networkProbabilities } from "./fit.ts"
import { concernScore, escalates, type LabelProbabilities, type SafetyHead, verdictOf } from "./head.ts"
import { ENCODER_NAME, SentenceEncoder, SentenceEncoderInThread } from "./sentenceEncoder.ts"

const TRAIN_DIR = fileURLToPath(new URL("../../../../corpus/train", import.meta.url))
export const HEAD_FILE = fileURLToPath(new URL("./head.json", import.meta.url))

const isSafety = (label: ModelLabel) => SAFETY_CATEGORIES.some((category) => category === label)

/**
 * A linear softmax head (an MLP with 64 hidden units did no better in cross-validation and takes
 * four times as long). The thirteen safety labels together weigh as much as the four others: with
 * every label alike, the prior would start three quarters on "concern".
 */
export const FIT: FitOptions = {
  labels: MODEL_LABELS.length,
  hidden: 0,
  epochs: 300,
  learningRate: 0.01,
  l2: 1e-4,
  seed: 20261204,
  labelWeights: MODEL_LABELS.map((label) => isSafety(label) ? 1 : SAFETY_CATEGORIES.length / (MODEL_LABELS.length - SAFETY_CATEGORIES.length))
}
const FOLDS = 5
/** texts per call to the encoder: one call for the whole corpus would hold every tensor at once */
const BATCH = 64
/** share of the held-out training escalations the decision must catch */
const RECALL_TARGET = 0.98
/** share of the held-out lookalike school questions it may send to a teacher */
const LOOKALIKE_BUDGET = 0.025
const GRID = Array.from({ length: 19 }, (_, index) => 0.05 * (index + 1))

/** How speech-to-text writes the same words: lower case, no punctuation but apostrophes. */
export const spokenForm = (text: string): string =>
  text.toLowerCase().replace(/[^\p{L}\p{N}'\s]/gu, " ").replace(/\s+/g, " ").trim()

/** What the model reads for a line, as typed and as transcribed. */
const textsOf = (line: CorpusLine): ReadonlyArray<string> => {
  const typed = windowText(line.previous ?? [], line.text)
  const spoken = windowText((line.previous ?? []).map(spokenForm), spokenForm(line.text))
  return spoken === typed ? [typed] : [typed, spoken]
}

const byLabel = (probabilities: Float64Array): LabelProbabilities =>
  new Map(MODEL_LABELS.map((label, index) => [label, probabilities[index] ?? 0]))

/** A held-out line as the product reads it: its latest message alone, and its most worrying reading. */
interface HeldOut {
  readonly line: CorpusLine
  readonly latest: LabelProbabilities
  readonly worstScore: number
}

const escalated = (thresholds: SafetyHead["thresholds"]) => (held: HeldOut) =>
  escalates(verdictOf(thresholds, held.latest, held.worstScore), held.latest)

const share = (lines: ReadonlyArray<HeldOut>, hit: (held: HeldOut) => boolean) =>
  lines.length === 0 ? 0 : lines.filter(hit).length / lines.length

/**
 * The thresholds, from the held-out scores: the lowest `escalate` that keeps lookalike school
 * questions within budget, with the highest `unsure` that still catches the recall target.
 */
const fitThresholds = (heldOut: ReadonlyArray<HeldOut>): SafetyHead["thresholds"] => {
  const escalations = heldOut.filter(({ line }) => isSafety(line.label))
  const lookalikes = heldOut.filter(({ line }) => line.lookalike === true)
  const candidates = GRID.filter((escalate) => escalate >= 0.5).map((escalate) => {
    const unsure = GRID.filter((value) => value <= escalate)
      .findLast((value) => share(escalations, escalated({ escalate, unsure: value })) >= RECALL_TARGET) ?? GRID[0] ?? 0.05
    return { escalate, unsure }
  })
  const fitting = candidates.find((thresholds) => share(lookalikes, escalated(thresholds)) <= LOOKALIKE_BUDGET)
  const chosen = fitting ?? candidates.at(-1) ?? { escalate: 0.5, unsure: 0.25 }
  return { escalate: Number(chosen.escalate.toFixed(2)), unsure: Number(chosen.unsure.toFixed(2)) }
}

const round = (value: number): number => Number(value.toPrecision(6))

const shipped = (network: Network) => ({
  hidden: network.hidden === null
    ? null
    : { weights: network.hidden.weights.map((row) => Array.from(row, round)), bias: Array.from(network.hidden.bias, round) },
  output: { weights: network.output.weights.map((row) => Array.from(row, round)), bias: Array.from(network.output.bias, round) }
})

const train = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const encoder = yield* SentenceEncoder
  const lines = yield* readCorpus([TRAIN_DIR])
  const corpusSha256 = corpusDigest(lines)
  yield* Console.log(`${lines.length} training lines`)

  // what each line teaches (as typed and as transcribed), and how the product reads it
  const taught = lines.map(textsOf)
  const read = lines.map((line) => readingsOf(line.text, line.previous ?? []).map((reading) => reading.text))
  const all = [...new Set([...taught.flat(), ...read.flat()])]
  const batches = Array.from({ length: Math.ceil(all.length / BATCH) }, (_, index) => all.slice(index * BATCH, (index + 1) * BATCH))
  const embedded = (yield* Effect.forEach(batches, encoder.embed)).flat()
  const vectorOf = new Map(all.map((text, index) => [text, embedded[index] ?? []]))
  const examplesOf = taught.map((texts, index) =>
    texts.map((text): Example => ({ vector: vectorOf.get(text) ?? [], label: MODEL_LABELS.indexOf(lines[index]?.label ?? "chat") }))
  )

  // out-of-fold scores: each line scored by a head that never saw it (nor its spoken form), on
  // its most worrying reading, as the product scores it
  const heldOut: Array<HeldOut> = []
  for (let fold = 0; fold < FOLDS; fold++) {
    const network = fitNetwork(examplesOf.filter((_, index) => index % FOLDS !== fold).flat(), FIT)
    lines.forEach((line, index) => {
      if (index % FOLDS !== fold) return
      const readings = (read[index] ?? []).map((text) => byLabel(networkProbabilities(network, vectorOf.get(text) ?? [])))
      const [latest = new Map()] = readings
      heldOut.push({ line, latest, worstScore: Math.max(...readings.map(concernScore)) })
    })
  }
  const thresholds = fitThresholds(heldOut)
  const hit = escalated(thresholds)
  const crossValidation = {
    escalateRecall: share(heldOut.filter(({ line }) => isSafety(line.label)), hit),
    schoolFalseEscalations: share(heldOut.filter(({ line }) => !isSafety(line.label) && line.label !== "chat"), hit),
    lookalikeFalseEscalations: share(heldOut.filter(({ line }) => line.lookalike === true), hit)
  }
  yield* Console.log(`cross-validation (${FOLDS} folds): thresholds`, thresholds, crossValidation)

  const network = fitNetwork(examplesOf.flat(), FIT)
  const head: SafetyHead = {
    encoder: ENCODER_NAME,
    labels: MODEL_LABELS,
    ...shipped(network),
    thresholds,
    training: { lines: lines.length, examples: examplesOf.flat().length, corpusSha256, crossValidation }
  }
  yield* fs.writeFileString(HEAD_FILE, `${JSON.stringify(head)}\n`)
  yield* Console.log(`wrote ${HEAD_FILE}`)
})

if (import.meta.main) {
  train.pipe(
    Effect.provide([SentenceEncoderInThread, NodeServices.layer]),
    NodeRuntime.runMain
  )
}
