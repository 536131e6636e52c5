import { Context, type Stream } from "effect"
import type { ProviderError } from "./ProviderError.ts"

/** The one audio format the tutor speaks: raw PCM, signed 16-bit little-endian, mono, 24 kHz. */
export const PCM_FORMAT = { sampleRate: 24_000, channels: 1, bitDepth: 16 } as const

export const DEFAULT_VOICE = "alloy"

/** Text to speech, streamed as PCM chunks in {@link PCM_FORMAT} as soon as they are produced. */
export class Speech extends Context.Service<Speech, {
  readonly synthesize: (text: string, voice: string) => Stream.Stream<Uint8Array, ProviderError>
}>()("tutor/Speech") {}
