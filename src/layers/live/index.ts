import { Layer } from "effect"
import { GuardrailLive } from "./guardrail.ts"
import { RealtimeLive } from "./realtime.ts"
import { SpecialistsLive } from "./specialists.ts"
import { SpeechLive } from "./speech.ts"

export { parseSubjectLabel, type SubjectLabel } from "./classifierLabel.ts"
export { AnthropicClient, OpenAiClient } from "./clients.ts"
export { LiveConfig, liveConfig } from "./config.ts"
export { GuardrailLive, RealtimeLive, SpecialistsLive, SpeechLive }

/**
 * Every provider-backed service. Built in one go, the layers share one LiveConfig and one client
 * per provider (layers are memoised by reference).
 */
export const LiveProviders = Layer.mergeAll(GuardrailLive, SpecialistsLive, SpeechLive, RealtimeLive)
