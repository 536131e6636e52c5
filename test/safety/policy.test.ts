import { describe, expect, it } from "@effect/vitest"
import { bySeverity, findingOf, SAFETY_CATEGORIES, SEVERITY } from "../../src/domain/safety.ts"
import { categoryOfModeration, SAFETY_REPLY } from "../../src/tutor/safety.ts"

describe("the safety taxonomy and its policy", () => {
  it("maps the moderation provider's categories onto the taxonomy; self-harm and sexual/minors are urgent", () => {
    expect(categoryOfModeration("self_harm")).toBe("self_harm")
    expect(categoryOfModeration("self_harm_intent")).toBe("self_harm")
    expect(categoryOfModeration("self_harm_instructions")).toBe("self_harm")
    expect(categoryOfModeration("sexual_minors")).toBe("sexual_content")
    expect(categoryOfModeration("hate_threatening")).toBe("hate")
    expect(categoryOfModeration("harassment")).toBe("harm_to_others")
    expect(categoryOfModeration("illicit_violent")).toBe("weapons_violence")
    expect(categoryOfModeration("illicit")).toBe("drugs_alcohol")
    expect(categoryOfModeration("violence_graphic")).toBe("weapons_violence")
    expect(categoryOfModeration("spam")).toBeUndefined()
    for (const name of ["self_harm_intent", "self_harm_instructions", "sexual_minors"]) {
      const category = categoryOfModeration(name)
      expect(category === undefined ? undefined : SEVERITY[category], name).toBe("urgent")
    }
  })

  it("gives every category a severity and a reply; disclosures are met with support, not a refusal", () => {
    for (const category of SAFETY_CATEGORIES) {
      expect(["urgent", "standard"]).toContain(SEVERITY[category])
      expect(SAFETY_REPLY[category].length).toBeGreaterThan(0)
    }
    for (const disclosure of ["self_harm", "abuse_neglect", "bullying", "distress", "grooming_or_personal_info"] as const) {
      expect(SAFETY_REPLY[disclosure]).toMatch(/^Thank you for telling me/)
    }
    for (const refusal of ["hate", "sexual_content", "manipulation", "academic_dishonesty"] as const) {
      expect(SAFETY_REPLY[refusal]).toMatch(/can't|not something/)
    }
  })

  it("sorts findings most severe first", () => {
    const found = [findingOf("academic_dishonesty", []), findingOf("self_harm", []), findingOf("bullying", [])]
    expect(found.toSorted(bySeverity).map((finding) => finding.category)).toEqual(["self_harm", "bullying", "academic_dishonesty"])
  })
})
