import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema, Stream } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { cutSentences, toSentences } from "../../src/tutor/segmenter.ts"

const SentenceExample = Schema.Struct({ text: Schema.String, sentences: Schema.Array(Schema.String) })
const examplesPath = fileURLToPath(new URL("../fixtures/sentence-examples.jsonl", import.meta.url))
const examples = readFileSync(examplesPath, "utf8")
  .split("\n")
  .filter((line) => line.trim().length > 0)
  .map((line) => Schema.decodeUnknownSync(Schema.fromJsonString(SentenceExample))(line))

/** Deterministic pseudo-random chunk sizes in 1..5 so a failure is reproducible. */
const chunk = (text: string, seed: number): Array<string> => {
  const chunks: Array<string> = []
  let state = seed
  for (let i = 0; i < text.length;) {
    state = (state * 1103515245 + 12345) % 2147483648
    const size = 1 + (state % 5)
    chunks.push(text.slice(i, i + size))
    i += size
  }
  return chunks
}

const segment = (chunks: ReadonlyArray<string>) => Stream.runCollect(toSentences(Stream.fromIterable(chunks)))

describe("sentence segmenter", () => {
  it("has the shared examples to check", () => {
    expect(examples.length).toBeGreaterThanOrEqual(12)
  })

  for (const example of examples) {
    it.effect(`whole: ${JSON.stringify(example.text)}`, () =>
      Effect.gen(function*() {
        expect(yield* segment([example.text])).toEqual(example.sentences)
      }))

    it.effect(`in 1–5 character chunks: ${JSON.stringify(example.text)}`, () =>
      Effect.gen(function*() {
        for (const seed of [1, 7, 42, 1234, 99991]) {
          expect(yield* segment(chunk(example.text, seed))).toEqual(example.sentences)
        }
        // one character at a time is the hardest case for "wait for proof"
        expect(yield* segment([...example.text])).toEqual(example.sentences)
      }))
  }

  it("never splits decimals, prices, abbreviations, initials or mid-sentence ellipses", () => {
    const text = "It costs $4.99 or approx. 5 dollars, e.g. at the U.S. store of Mr. Brown and John F. Kennedy. " +
      "I was thinking... maybe not. Done."
    expect(cutSentences(text, true).sentences).toEqual([
      "It costs $4.99 or approx. 5 dollars, e.g. at the U.S. store of Mr. Brown and John F. Kennedy.",
      "I was thinking... maybe not.",
      "Done."
    ])
  })

  it("holds a sentence back until the text after it proves it complete", () => {
    expect(cutSentences("The answer is 0.", false)).toEqual({ sentences: [], rest: "The answer is 0." })
    expect(cutSentences("The answer is 20. ", false)).toEqual({ sentences: [], rest: "The answer is 20. " })
    expect(cutSentences("The answer is 20. N", false)).toEqual({ sentences: ["The answer is 20."], rest: "N" })
  })

  it("always flushes the residual, and ends a block at a blank line", () => {
    expect(cutSentences("Hello world. Final fragment without punctuation", true).sentences).toEqual([
      "Hello world.",
      "Final fragment without punctuation"
    ])
    expect(cutSentences("Steps\n\n1) add the numbers\n\nthen divide", true).sentences).toEqual([
      "Steps",
      "1) add the numbers",
      "then divide"
    ])
    expect(cutSentences("   ", true).sentences).toEqual([])
  })
})
