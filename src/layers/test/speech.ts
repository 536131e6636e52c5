import { Duration, Effect, Layer, Stream } from "effect"
import { Speech } from "../../services/Speech.ts"

export interface SpeechScript {
  /** bytes of PCM per character of text (even, so samples stay whole) */
  readonly bytesPerCharacter?: number
  readonly chunkBytes?: number
  readonly firstByteDelay?: Duration.Input
  /** sees every request (`speak:<text>`) and each one cut short (`speak-ended-early:<text>`) */
  readonly onEvent?: (event: string) => void
}

/**
 * Known PCM for a text: every sample of sentence `text` is the text's length, so tests can tell
 * which sentence a chunk belongs to and that nothing was dropped or reordered.
 */
export const knownPcm = (text: string, bytesPerCharacter = 4): Uint8Array => {
  const samples = new Int16Array((text.length * bytesPerCharacter) / 2).fill(text.length)
  return new Uint8Array(samples.buffer)
}

export const testSpeech = (script: SpeechScript = {}): Layer.Layer<Speech> =>
  Layer.succeed(
    Speech,
    Speech.of({
      synthesize: (text) => {
        const pcm = knownPcm(text, script.bytesPerCharacter)
        const chunkBytes = script.chunkBytes ?? 4096
        const chunks: Array<Uint8Array> = []
        for (let offset = 0; offset < pcm.length; offset += chunkBytes) chunks.push(pcm.subarray(offset, offset + chunkBytes))
        const delay = script.firstByteDelay === undefined ? Effect.void : Effect.sleep(script.firstByteDelay)
        return Stream.fromEffect(delay).pipe(
          Stream.drain,
          Stream.concat(Stream.fromIterable(chunks)),
          Stream.onStart(Effect.sync(() => script.onEvent?.(`speak:${text}`))),
          Stream.onExit((exit) =>
            Effect.sync(() => {
              if (exit._tag === "Failure") script.onEvent?.(`speak-ended-early:${text}`)
            })
          )
        )
      }
    })
  )
