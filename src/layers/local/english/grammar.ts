/**
 * A small grammar checker for the mistakes students make most often. Each rule rewrites the
 * sentence and says why in one spoken sentence, so the tutor teaches the rule, not just the fix.
 */

export interface GrammarCheck {
  readonly original: string
  readonly corrected: string
  /** one sentence per fix, in the order the fixes were made; empty when nothing was found */
  readonly explanations: ReadonlyArray<string>
}

interface Rule {
  readonly pattern: RegExp
  readonly fix: (match: RegExpExecArray) => { readonly replacement: string; readonly why: string } | undefined
}

const SUBJECT_FORM: Readonly<Record<string, string>> = { me: "I", him: "he", her: "she", us: "we", them: "they" }
const OBJECT_PRONOUN = /^(me|him|her|us|them)$/i

/** a phrase as it sits mid-sentence: pronouns and determiners lower case, names untouched */
const midSentence = (phrase: string): string =>
  phrase.split(" ").map((word) =>
    /^i$/i.test(word) ? "I" : /^(me|him|her|us|them|he|she|we|they|my|the|our|your)$/i.test(word) ? word.toLowerCase() : word
  ).join(" ")
const subjectForm = (word: string): string => SUBJECT_FORM[word.toLowerCase()] ?? word

/** "goes" → "go", "has" → "have", "watches" → "watch", "studies" → "study" */
const PLURAL_VERB: Readonly<Record<string, string>> = { is: "are", was: "were", has: "have", does: "do", goes: "go", "doesn't": "don't" }
const pluralVerb = (verb: string): string | undefined => {
  const lower = verb.toLowerCase()
  if (PLURAL_VERB[lower] !== undefined) return PLURAL_VERB[lower]
  if (/[^aeiou]ies$/.test(lower)) return `${lower.slice(0, -3)}y`
  if (/(ch|sh|x|ss|z)es$/.test(lower)) return lower.slice(0, -2)
  if (/[^su]s$/.test(lower) && lower.length > 3) return lower.slice(0, -1)
  return undefined
}

/** "go" → "goes" after he, she or it */
const SINGULAR_VERB: Readonly<Record<string, string>> = {
  go: "goes", do: "does", have: "has", are: "is", were: "was", "don't": "doesn't", want: "wants", like: "likes",
  play: "plays", need: "needs", know: "knows", think: "thinks", say: "says", make: "makes", get: "gets", run: "runs"
}

const RULES: ReadonlyArray<Rule> = [
  {
    // "me and him goes" → "he and I go": object pronouns used as the subject of the sentence
    pattern: /^((?:my|the|our|your) [a-z]+|[a-z]+) and ((?:my|the|our|your) [a-z]+|[a-z]+)\b/i,
    fix: (m) => {
      const [, first = "", second = ""] = m
      if (!OBJECT_PRONOUN.test(first) && !OBJECT_PRONOUN.test(second)) return undefined
      const forms = [first, second].map((word) => (OBJECT_PRONOUN.test(word) ? subjectForm(word) : word))
      // naming yourself last is the polite convention: "he and I", "my friend and I"
      const [a = "", b = ""] = forms[0] === "I" ? [forms[1], "I"] : forms
      return {
        replacement: `${a} and ${b}`,
        why: `Use ${midSentence(a)} and ${midSentence(b)} instead of ${midSentence(first)} and ${midSentence(second)}, because the subject of a sentence needs subject pronouns like I and he, and we name ourselves last.`
      }
    }
  },
  {
    // two people joined by "and" take a plural verb
    pattern: /^((?:[A-Za-z]+ )?[A-Za-z]+ and (?:I|[A-Za-z]+))\s+(is|was|has|does|doesn't|goes|[a-z]+s)\b/,
    fix: (m) => {
      const [, subject = "", verb = ""] = m
      const plural = pluralVerb(verb)
      if (plural === undefined) return undefined
      return {
        replacement: `${subject} ${plural}`,
        why: `Two people joined by and make a plural subject, so the verb is ${plural}, not ${verb}.`
      }
    }
  },
  {
    // not after "does he", "will she", "to" (base form is right there) or "he and she" (plural)
    pattern: /(?<!\b(?:and|does|did|do|will|would|can|could|should|may|might|must|to|let|doesn't|didn't|won't|can't)\s)\b(he|she|it)\s+(go|do|have|are|were|don't|want|like|play|need|know|think|say|make|get|run)\b/i,
    fix: (m) => {
      const [, pronoun = "", verb = ""] = m
      const singular = SINGULAR_VERB[verb.toLowerCase()]
      if (singular === undefined) return undefined
      return {
        replacement: `${pronoun} ${singular}`,
        why: `With ${pronoun.toLowerCase()}, the verb takes its singular form, so write ${pronoun.toLowerCase()} ${singular}.`
      }
    }
  },
  {
    // "he and I are" is already right: only a lone "I" takes "am"
    pattern: /(?<!\band\s)\b(I)\s+(is|are)\b|\b(you|we|they)\s+(is|was)\b/i,
    fix: (m) => {
      const pronoun = m[1] ?? m[3] ?? ""
      const verb = m[2] ?? m[4] ?? ""
      const right = pronoun.toLowerCase() === "i" ? "am" : verb.toLowerCase() === "was" ? "were" : "are"
      return {
        replacement: `${pronoun} ${right}`,
        why: `The verb to be goes with its own pronoun: I am, you are, we are and they are, so write ${midSentence(pronoun)} ${right}.`
      }
    }
  },
  {
    pattern: /\b(could|would|should|must|might)\s+of\b/i,
    fix: (m) => ({
      replacement: `${m[1] ?? ""} have`,
      why: `Write ${(m[1] ?? "").toLowerCase()} have, not ${(m[1] ?? "").toLowerCase()} of: when we speak it sounds like of, but the word is have.`
    })
  },
  {
    pattern: /\btheir\s+(is|are|was|were)\b/i,
    fix: (m) => ({
      replacement: `there ${m[1] ?? ""}`,
      why: `Use there with is and are, as in there ${m[1] ?? ""}; their means belonging to them.`
    })
  },
  {
    pattern: /\b(?:there|their)\s+(going|coming|doing|not|always|very|really|so|late|right|wrong|here)\b/i,
    fix: (m) => ({
      replacement: `they're ${m[1] ?? ""}`,
      why: `They're is short for they are, and they are ${m[1] ?? ""} is what this sentence means.`
    })
  },
  {
    pattern: /\b(?:there|they're)\s+(own|house|car|dog|cat|friends?|parents|mom|mum|dad|teacher|homework|books?|school|team|family|room|names?|toys?)\b/i,
    fix: (m) => ({
      replacement: `their ${m[1] ?? ""}`,
      why: `Use their to show that something belongs to them, as in their ${m[1] ?? ""}.`
    })
  },
  {
    pattern: /\byour\s+(welcome|going|not|right|wrong|so|very|being|doing|late|the best)\b/i,
    fix: (m) => ({
      replacement: `you're ${m[1] ?? ""}`,
      why: `You're is short for you are, so write you're ${m[1] ?? ""}.`
    })
  },
  {
    pattern: /\byou're\s+(car|book|bag|dog|house|friend|mom|mum|dad|homework|own|name|teacher)\b/i,
    fix: (m) => ({
      replacement: `your ${m[1] ?? ""}`,
      why: `Use your to show belonging, as in your ${m[1] ?? ""}; you're means you are.`
    })
  },
  {
    pattern: /\bits\s+(a|an|the|raining|going|been|not|very|so|time|true|important|hard|easy|my|your)\b/i,
    fix: (m) => ({
      replacement: `it's ${m[1] ?? ""}`,
      why: `It's with an apostrophe means it is or it has, which is what this sentence needs.`
    })
  },
  {
    pattern: /\bit's\s+(own|tail|colou?r|name|shape|size|way|legs?|owner)\b/i,
    fix: (m) => ({
      replacement: `its ${m[1] ?? ""}`,
      why: `Its without an apostrophe shows belonging, as in its ${m[1] ?? ""}.`
    })
  },
  {
    pattern: /\b(will|would|can|could|may|might|to|does|did|not|won't)\s+effect\b/i,
    fix: (m) => ({
      replacement: `${m[1] ?? ""} affect`,
      why: "Here the word is a verb meaning to influence, so it is affect; effect is usually the noun, the result."
    })
  },
  {
    pattern: /\b(the|an|no|big|good|bad)\s+affect\b/i,
    fix: (m) => ({
      replacement: `${m[1] ?? ""} effect`,
      why: "Here the word is a noun meaning a result, so it is effect; affect is usually the verb."
    })
  },
  {
    pattern: /\balot\b/i,
    fix: () => ({ replacement: "a lot", why: "A lot is always two words." })
  },
  {
    pattern: /\b(don't|doesn't|didn't|can't|won't)\s+(have|want|need|know|see|get)\s+no\b/i,
    fix: (m) => ({
      replacement: `${m[1] ?? ""} ${m[2] ?? ""} any`,
      why: `Two negatives cancel each other out, so write ${(m[1] ?? "").toLowerCase()} ${m[2] ?? ""} any.`
    })
  }
]

/** capital letter at the start, "I" on its own, one final punctuation mark */
const tidy = (sentence: string): string => {
  const trimmed = sentence.trim().replace(/\s+/g, " ").replace(/\bi\b/g, "I")
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`
}

export const checkGrammar = (sentence: string): GrammarCheck => {
  const explanations: Array<string> = []
  let text = sentence.trim().replace(/\s+/g, " ").replace(/\bi\b/g, "I")
  for (const rule of RULES) {
    const match = rule.pattern.exec(text)
    if (match === null) continue
    const result = rule.fix(match)
    if (result === undefined) continue
    text = `${text.slice(0, match.index)}${result.replacement}${text.slice(match.index + match[0].length)}`
    explanations.push(result.why)
  }
  return { original: sentence, corrected: tidy(text), explanations }
}
