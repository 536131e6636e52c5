/**
 * The keyless providers (SPEC §7): what the tutor runs on when no OpenAI or Anthropic key is set.
 * `moderateWithLexicon` is also the fail-closed fallback for live moderation.
 */
export { GuardrailLocal } from "./GuardrailLocal.ts"
export { assessWithLexicon, moderateWithLexicon } from "./moderation/Moderation.ts"
export { SpecialistsLocal } from "./SpecialistsLocal.ts"
export { SpeechLocal } from "./SpeechLocal.ts"
