import { Effect, Layer } from "effect"
import type { Guardrail } from "../services/Guardrail.ts"
import type { Realtime } from "../services/Realtime.ts"
import type { Specialists } from "../services/Specialists.ts"
import type { Speech } from "../services/Speech.ts"
import { RealtimeUnavailable } from "./local/realtime.ts"
import { testGuardrail } from "./test/guardrail.ts"
import { testSpecialists } from "./test/specialists.ts"
import { testSpeech } from "./test/speech.ts"

export type TutorProviders = Guardrail | Specialists | Speech | Realtime

/**
 * The model providers the tutor runs on, chosen from the environment.
 * TEMPORARY until provider selection lands: deterministic test providers with a loud warning.
 */
export const TutorProvidersLive: Layer.Layer<TutorProviders> = Layer.mergeAll(
  testGuardrail(),
  testSpecialists(),
  testSpeech(),
  RealtimeUnavailable
).pipe(
  Layer.tap(() => Effect.logWarning("NO REAL PROVIDERS: the tutor is running on deterministic TEST providers"))
)
