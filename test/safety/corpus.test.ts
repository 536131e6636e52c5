import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { SAFETY_CATEGORIES } from "../../src/domain/safety.ts"
import { corpusDigest, type CorpusLine, MODEL_LABELS, readCorpus } from "../../src/layers/local/safety/corpus.ts"
import { SafetyHead } from "../../src/layers/local/safety/head.ts"
import { safetyHead } from "../../src/layers/local/safety/SafetyLocal.ts"

const isEscalation = (line: CorpusLine) => SAFETY_CATEGORIES.some((category) => category === line.label)
const isSchool = (line: CorpusLine) => line.label === "math" || line.label === "history" || line.label === "english"
/** how the dev split is kept apart: case, punctuation and spacing do not make a line new */
const normalized = (text: string) => text.toLowerCase().replace(/[^a-z0-9 ]/g, "").replace(/\s+/g, " ").trim()

describe("the safety corpus", () => {
  it.effect("decodes, and has the escalations and school questions the model needs", () =>
    Effect.gen(function*() {
      const lines = yield* readCorpus(["corpus/train", "corpus/dev"])
      const escalations = lines.filter(isEscalation)
      const school = lines.filter(isSchool)
      expect(escalations.length).toBeGreaterThanOrEqual(1500)
      expect(school.length).toBeGreaterThanOrEqual(600)
      // the 600 school questions, half of them lookalikes
      expect(school.filter((line) => line.lookalike === true).length).toBeGreaterThanOrEqual(300)
      for (const category of SAFETY_CATEGORIES) {
        expect(escalations.filter((line) => line.label === category).length, category).toBeGreaterThanOrEqual(100)
      }
      // disclosures split over two messages are part of what it learns
      expect(escalations.filter((line) => (line.previous ?? []).length > 0).length).toBeGreaterThanOrEqual(100)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("keeps the dev split out of training: no dev line is a training line", () =>
    Effect.gen(function*() {
      const train = new Set((yield* readCorpus(["corpus/train"])).map((line) => normalized(line.text)))
      const dev = yield* readCorpus(["corpus/dev"])
      expect(dev.length).toBeGreaterThanOrEqual(500)
      expect(dev.filter((line) => train.has(normalized(line.text))).map((line) => line.text)).toEqual([])
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("ships a head trained on the training split as it is now (npm run train:safety)", () =>
    Effect.gen(function*() {
      const train = yield* readCorpus(["corpus/train"])
      expect(safetyHead.training.corpusSha256).toBe(corpusDigest(train))
      expect(safetyHead.training.lines).toBe(train.length)
      expect(safetyHead.labels).toEqual(MODEL_LABELS)
      expect(safetyHead.output.weights).toHaveLength(MODEL_LABELS.length)
      expect(safetyHead.thresholds.unsure).toBeLessThanOrEqual(safetyHead.thresholds.escalate)
    }).pipe(Effect.provide(NodeServices.layer)))

  it("rejects a head that does not fit its schema", () => {
    expect(Exit.isFailure(Schema.decodeUnknownExit(SafetyHead)({ ...safetyHead, labels: ["rudeness"] }))).toBe(true)
  })
})
