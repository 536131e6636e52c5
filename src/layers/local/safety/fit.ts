import { affine, forward, relu, softmaxInPlace } from "./head.ts"

/**
 * Fitting the safety head: a small neural network (an optional ReLU hidden layer, then softmax)
 * trained by full-batch Adam on class-balanced cross-entropy with L2 decay. Everything is
 * deterministic: a seeded initialisation and a fixed example order, so `npm run train:safety`
 * rebuilds the same head from the same corpus.
 */

export interface Example {
  readonly vector: ReadonlyArray<number>
  readonly label: number
}

export interface FitOptions {
  readonly labels: number
  /** 0: a linear softmax head */
  readonly hidden: number
  readonly epochs: number
  readonly learningRate: number
  readonly l2: number
  readonly seed: number
  /**
   * How much each label's examples weigh, relative to each other, before they are balanced by
   * count (default: every label alike): the share of the prior each label starts with.
   */
  readonly labelWeights?: ReadonlyArray<number>
}

export interface Weights {
  readonly weights: Array<Float64Array>
  readonly bias: Float64Array
}

export interface Network {
  readonly hidden: Weights | null
  readonly output: Weights
}

/** mulberry32: a tiny seeded generator, enough for weight initialisation */
const seeded = (seed: number) => {
  let state = seed >>> 0
  return (): number => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const weights = (outputs: number, inputs: number, scale: number, random: () => number): Weights => ({
  weights: Array.from({ length: outputs }, () => Float64Array.from({ length: inputs }, () => (random() * 2 - 1) * scale)),
  bias: new Float64Array(outputs)
})

/** Adam's moment estimates for one layer */
interface Moments {
  readonly w: Array<{ m: Float64Array; v: Float64Array }>
  readonly b: { m: Float64Array; v: Float64Array }
}

const momentsOf = (target: Weights): Moments => ({
  w: target.weights.map((row) => ({ m: new Float64Array(row.length), v: new Float64Array(row.length) })),
  b: { m: new Float64Array(target.bias.length), v: new Float64Array(target.bias.length) }
})

const BETA1 = 0.9
const BETA2 = 0.999
const EPSILON = 1e-8

const adamStep = (
  values: Float64Array,
  gradient: Float64Array,
  moments: { m: Float64Array; v: Float64Array },
  rate: number,
  step: number
) => {
  const correction1 = 1 - BETA1 ** step
  const correction2 = 1 - BETA2 ** step
  for (let i = 0; i < values.length; i++) {
    const g = gradient[i] ?? 0
    const m = BETA1 * (moments.m[i] ?? 0) + (1 - BETA1) * g
    const v = BETA2 * (moments.v[i] ?? 0) + (1 - BETA2) * g * g
    moments.m[i] = m
    moments.v[i] = v
    values[i] = (values[i] ?? 0) - rate * (m / correction1) / (Math.sqrt(v / correction2) + EPSILON)
  }
}

const gradientsOf = (target: Weights): Weights => ({
  weights: target.weights.map((row) => new Float64Array(row.length)),
  bias: new Float64Array(target.bias.length)
})

const clear = (gradients: Weights) => {
  gradients.weights.forEach((row) => row.fill(0))
  gradients.bias.fill(0)
}

/** Trains a head on the examples; every class weighs the same in the loss whatever its size. */
export const fitNetwork = (examples: ReadonlyArray<Example>, options: FitOptions): Network => {
  const inputs = examples[0]?.vector.length ?? 0
  const random = seeded(options.seed)
  const hidden = options.hidden > 0 ? weights(options.hidden, inputs, Math.sqrt(6 / (inputs + options.hidden)), random) : null
  const output = weights(options.labels, hidden === null ? inputs : options.hidden, hidden === null ? 0 : Math.sqrt(6 / (options.hidden + options.labels)), random)
  const counts = new Float64Array(options.labels)
  for (const example of examples) counts[example.label] = (counts[example.label] ?? 0) + 1
  const share = Float64Array.from(counts, (_, label) => counts[label] === 0 ? 0 : options.labelWeights?.[label] ?? 1)
  const shares = share.reduce((sum, value) => sum + value, 0)
  const classWeight = Float64Array.from(counts, (count, label) => count === 0 ? 0 : (examples.length * (share[label] ?? 0)) / (shares * count))

  const outputGradients = gradientsOf(output)
  const hiddenGradients = hidden === null ? null : gradientsOf(hidden)
  const outputMoments = momentsOf(output)
  const hiddenMoments = hidden === null ? null : momentsOf(hidden)
  const activation = new Float64Array(hidden?.bias.length ?? 0)
  const hiddenDelta = new Float64Array(hidden?.bias.length ?? 0)
  const logits = new Float64Array(options.labels)

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    clear(outputGradients)
    if (hiddenGradients !== null) clear(hiddenGradients)
    for (const example of examples) {
      const features = hidden === null ? example.vector : relu(affine(hidden, example.vector, activation))
      if (hidden !== null) activation.set(features)
      const probabilities = softmaxInPlace(affine(output, features, logits))
      const weight = (classWeight[example.label] ?? 0) / examples.length
      hiddenDelta.fill(0)
      for (let unit = 0; unit < options.labels; unit++) {
        const delta = ((probabilities[unit] ?? 0) - (unit === example.label ? 1 : 0)) * weight
        const row = output.weights[unit]
        const gradientRow = outputGradients.weights[unit]
        if (row === undefined || gradientRow === undefined) continue
        outputGradients.bias[unit] = (outputGradients.bias[unit] ?? 0) + delta
        for (let i = 0; i < gradientRow.length; i++) {
          gradientRow[i] = (gradientRow[i] ?? 0) + delta * (features[i] ?? 0)
          if (hidden !== null) hiddenDelta[i] = (hiddenDelta[i] ?? 0) + delta * (row[i] ?? 0)
        }
      }
      if (hidden !== null && hiddenGradients !== null) {
        for (let unit = 0; unit < hiddenDelta.length; unit++) {
          if ((activation[unit] ?? 0) <= 0) continue
          const delta = hiddenDelta[unit] ?? 0
          const gradientRow = hiddenGradients.weights[unit]
          if (gradientRow === undefined) continue
          hiddenGradients.bias[unit] = (hiddenGradients.bias[unit] ?? 0) + delta
          for (let i = 0; i < gradientRow.length; i++) gradientRow[i] = (gradientRow[i] ?? 0) + delta * (example.vector[i] ?? 0)
        }
      }
    }
    const update = (target: Weights, gradients: Weights, moments: Moments) => {
      target.weights.forEach((row, unit) => {
        const gradientRow = gradients.weights[unit]
        const moment = moments.w[unit]
        if (gradientRow === undefined || moment === undefined) return
        for (let i = 0; i < row.length; i++) gradientRow[i] = (gradientRow[i] ?? 0) + options.l2 * (row[i] ?? 0)
        adamStep(row, gradientRow, moment, options.learningRate, epoch)
      })
      adamStep(target.bias, gradients.bias, moments.b, options.learningRate, epoch)
    }
    update(output, outputGradients, outputMoments)
    if (hidden !== null && hiddenGradients !== null && hiddenMoments !== null) update(hidden, hiddenGradients, hiddenMoments)
  }
  return { hidden, output }
}

/** The network's probabilities for one vector. */
export const networkProbabilities = (network: Network, vector: ReadonlyArray<number>): Float64Array =>
  forward(network.hidden, network.output, vector)
