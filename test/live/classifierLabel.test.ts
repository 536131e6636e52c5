import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import {
  AMBIGUOUS_CONFIDENCE,
  EXACT_LABEL_CONFIDENCE,
  LABEL_IN_WORDS_CONFIDENCE,
  parseSubjectLabel
} from "../../src/layers/live/classifierLabel.ts"
import type { Subject } from "../../src/services/Specialists.ts"

const routed: ReadonlyArray<readonly [raw: string, subject: Subject, confidence: number]> = [
  ["math", "math", EXACT_LABEL_CONFIDENCE],
  ["Math.", "math", EXACT_LABEL_CONFIDENCE],
  ["  MATH!\n", "math", EXACT_LABEL_CONFIDENCE],
  ["**history**", "history", EXACT_LABEL_CONFIDENCE],
  ["`english`", "english", EXACT_LABEL_CONFIDENCE],
  ["escalate", "escalate", EXACT_LABEL_CONFIDENCE],
  ["I think math", "math", LABEL_IN_WORDS_CONFIDENCE],
  ["The category is english.", "english", LABEL_IN_WORDS_CONFIDENCE],
  ["Mathematics", "math", EXACT_LABEL_CONFIDENCE],
  ["math 0.92", "math", 0.92],
  ["History 0.7", "history", 0.7],
  ["english, 0.55", "english", 0.55],
  ["math (confidence: .8)", "math", 0.8],
  ["history 85%", "history", 0.85],
  ["math 1", "math", 1],
  ["escalate 0", "escalate", 0],
  // a number outside [0, 1] is not a confidence
  ["math 7", "math", EXACT_LABEL_CONFIDENCE],
  ["math or history", "math", AMBIGUOUS_CONFIDENCE],
  ["history 0.9, maybe english", "history", AMBIGUOUS_CONFIDENCE],
  ["math 0.1 or english", "math", 0.1]
]

describe("parseSubjectLabel", () => {
  for (const [raw, subject, confidence] of routed) {
    it(`${JSON.stringify(raw)} → ${subject} ${confidence}`, () => {
      assert.deepStrictEqual(parseSubjectLabel(raw), Option.some({ subject, confidence }))
    })
  }

  it.each([
    ["escalate self_harm 0.97", "self_harm", 0.97],
    ["Escalate: self-harm", "self_harm", EXACT_LABEL_CONFIDENCE],
    ["escalate grooming_or_personal_info 0.8", "grooming_or_personal_info", 0.8],
    ["escalate academic dishonesty", "academic_dishonesty", EXACT_LABEL_CONFIDENCE],
    ["I would escalate this, it is hate", "hate", LABEL_IN_WORDS_CONFIDENCE]
  ] as const)("%j → escalate for %s", (raw, category, confidence) => {
    assert.deepStrictEqual(parseSubjectLabel(raw), Option.some({ subject: "escalate", confidence, category }))
  })

  it("a category named without escalate is not a reason to escalate", () => {
    assert.deepStrictEqual(parseSubjectLabel("math self_harm 0.9"), Option.some({ subject: "math", confidence: 0.9 }))
  })

  for (const raw of ["", "   ", "banana", "0.9", "aftermath", "I am not sure", "???", "mathematical"]) {
    it(`${JSON.stringify(raw)} names no subject`, () => {
      assert.isTrue(Option.isNone(parseSubjectLabel(raw)))
    })
  }
})
