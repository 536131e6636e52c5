import { Effect, Layer, Stream } from "effect"
import type { ProviderError } from "../../services/ProviderError.ts"
import { PCM_FORMAT, Speech } from "../../services/Speech.ts"
import { cutSentences } from "../../tutor/segmenter.ts"
import { EspeakEngine } from "./speech/EspeakEngine.ts"
import { resampleLinear, toPcm16LE } from "./speech/resample.ts"

/** 100 ms of 24 kHz mono PCM16 per chunk: small enough to start playback early */
const CHUNK_BYTES = (PCM_FORMAT.sampleRate / 10) * (PCM_FORMAT.bitDepth / 8) * PCM_FORMAT.channels

const toChunks = (bytes: Uint8Array): ReadonlyArray<Uint8Array> =>
  Array.from({ length: Math.ceil(bytes.length / CHUNK_BYTES) }, (_, i) => bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES))

export const SpeechFromEngine: Layer.Layer<Speech, never, EspeakEngine> = Layer.effect(
  Speech,
  Effect.gen(function*() {
    const engine = yield* EspeakEngine
    const speakSentence = Effect.fn("Speech.synthesize.sentence")(function*(sentence: string, voice: string) {
      const wav = yield* engine.synthesizeWav(sentence, voice)
      return toPcm16LE(resampleLinear(wav.samples, wav.sampleRate, PCM_FORMAT.sampleRate))
    })
    return Speech.of({
      synthesize: (text, voice) =>
        // one sentence at a time, so the first plays while the rest are still being made
        Stream.fromIterable(cutSentences(text, true).sentences).pipe(
          Stream.mapEffect((sentence) => speakSentence(sentence, voice)),
          Stream.flatMap((pcm) => Stream.fromIterable(toChunks(pcm))),
          Stream.withSpan("Speech.synthesize", { attributes: { "speech.provider": "local:espeak-ng" } })
        )
    })
  })
)

/**
 * Speech without keys: eSpeak NG in WebAssembly, resampled to 24 kHz PCM16. Building it loads
 * the engine once; it fails with `ProviderError` reason `unavailable` when the optional
 * `espeak-ng` package is missing.
 */
export const SpeechLocal: Layer.Layer<Speech, ProviderError> = SpeechFromEngine.pipe(
  Layer.provide(EspeakEngine.layer)
)
