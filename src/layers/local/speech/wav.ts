import { Result } from "effect"

/** Mono 16-bit PCM read from a WAV file, with the sample rate the file declares. */
export interface Pcm16 {
  readonly sampleRate: number
  readonly samples: Int16Array
}

const fourCC = (view: DataView, offset: number): string =>
  String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3))

/**
 * Parses a RIFF/WAVE file chunk by chunk rather than assuming a 44-byte header or eSpeak's
 * 22,050 Hz: the rate comes from the "fmt " chunk. A "data" size larger than the file (a writer
 * that never patched its placeholder) is clamped to the bytes actually present.
 */
export const parseWav = (bytes: Uint8Array): Result.Result<Pcm16, string> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < 12 || fourCC(view, 0) !== "RIFF" || fourCC(view, 8) !== "WAVE") {
    return Result.fail("not a RIFF/WAVE file")
  }
  let format: { readonly sampleRate: number; readonly channels: number; readonly bits: number; readonly code: number } | undefined
  let offset = 12
  while (offset + 8 <= bytes.byteLength) {
    const id = fourCC(view, offset)
    const declared = view.getUint32(offset + 4, true)
    const body = offset + 8
    const size = Math.min(declared, bytes.byteLength - body)
    if (id === "fmt ") {
      if (size < 16) return Result.fail("truncated fmt chunk")
      format = {
        code: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true)
      }
    } else if (id === "data") {
      if (format === undefined) return Result.fail("data chunk before fmt chunk")
      if (format.code !== 1 || format.channels !== 1 || format.bits !== 16) {
        return Result.fail(`unsupported WAV format (code ${format.code}, ${format.channels} channels, ${format.bits} bits)`)
      }
      if (format.sampleRate <= 0) return Result.fail("WAV sample rate is zero")
      const samples = new Int16Array(Math.floor(size / 2))
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + i * 2, true)
      return Result.succeed({ sampleRate: format.sampleRate, samples })
    }
    // chunks are padded to an even length
    offset = body + declared + (declared % 2)
  }
  return Result.fail("no data chunk")
}
