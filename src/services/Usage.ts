import { Context, Schema } from "effect"

/** Tokens one provider call used. */
export const TokenUsage = Schema.Struct({
  model: Schema.String,
  inputTokens: Schema.Number,
  outputTokens: Schema.Number
})
export type TokenUsage = typeof TokenUsage.Type

/**
 * Where provider calls report the tokens they used. A turn installs a meter that collects them;
 * outside a turn (a health check, a test of one layer) the reports go nowhere.
 */
export const UsageMeter = Context.Reference<{ readonly record: (usage: TokenUsage) => void }>("tutor/UsageMeter", {
  defaultValue: () => ({ record: () => undefined })
})

/** US dollars per million tokens. */
export const ModelPrice = Schema.Struct({ input: Schema.Number, output: Schema.Number })
export type ModelPrice = typeof ModelPrice.Type

export const PriceTable = Schema.Record(Schema.String, ModelPrice)
export type PriceTable = typeof PriceTable.Type

/**
 * List prices of the default models when this was written; keys match a model id by prefix so
 * dated snapshots (`claude-haiku-4-5-20251001`) find their family. Override with TUTOR_PRICES.
 */
export const DEFAULT_PRICES: PriceTable = {
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-sonnet-4-6": { input: 3, output: 15 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4o": { input: 2.5, output: 10 }
}

export const Prices = Context.Reference<PriceTable>("tutor/Prices", { defaultValue: () => DEFAULT_PRICES })

export const UsageSummary = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  byModel: Schema.Array(TokenUsage),
  /** null when a model that was used has no price */
  estimatedCostUsd: Schema.NullOr(Schema.Number),
  unpricedModels: Schema.Array(Schema.String)
})
export type UsageSummary = typeof UsageSummary.Type

const priceOf = (prices: PriceTable, model: string): ModelPrice | undefined => {
  // the longest matching prefix wins, so "gpt-4o-mini" is not priced as "gpt-4o"
  const key = Object.keys(prices)
    .filter((prefix) => model.startsWith(prefix))
    .sort((a, b) => b.length - a.length)[0]
  return key === undefined ? undefined : prices[key]
}

export const summarizeUsage = (calls: ReadonlyArray<TokenUsage>, prices: PriceTable): UsageSummary => {
  const byModel = new Map<string, TokenUsage>()
  for (const call of calls) {
    const seen = byModel.get(call.model)
    byModel.set(call.model, {
      model: call.model,
      inputTokens: (seen?.inputTokens ?? 0) + call.inputTokens,
      outputTokens: (seen?.outputTokens ?? 0) + call.outputTokens
    })
  }
  const models = [...byModel.values()]
  const unpricedModels = models.filter((usage) => priceOf(prices, usage.model) === undefined).map((usage) => usage.model)
  const cost = models.reduce((total, usage) => {
    const price = priceOf(prices, usage.model)
    return price === undefined ? total : total + (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1e6
  }, 0)
  return {
    inputTokens: models.reduce((total, usage) => total + usage.inputTokens, 0),
    outputTokens: models.reduce((total, usage) => total + usage.outputTokens, 0),
    byModel: models,
    estimatedCostUsd: unpricedModels.length > 0 ? null : cost,
    unpricedModels
  }
}
