import { PCM_FORMAT } from "../services/Speech.ts"

/** A RIFF/WAVE file around raw PCM in the tutor's format, so any player opens `--audio` output. */
export const wavFile = (pcm: ReadonlyArray<Uint8Array>): Uint8Array => {
  const dataBytes = pcm.reduce((total, chunk) => total + chunk.length, 0)
  const { bitDepth, channels, sampleRate } = PCM_FORMAT
  const blockAlign = channels * (bitDepth / 8)
  const file = new Uint8Array(44 + dataBytes)
  const view = new DataView(file.buffer)
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i))
  }
  ascii(0, "RIFF")
  view.setUint32(4, 36 + dataBytes, true)
  ascii(8, "WAVE")
  ascii(12, "fmt ")
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true) // linear PCM
  view.setUint16(22, channels, true)
  view.setUint32(24, sampleRate, true)
  view.setUint32(28, sampleRate * blockAlign, true)
  view.setUint16(32, blockAlign, true)
  view.setUint16(34, bitDepth, true)
  ascii(36, "data")
  view.setUint32(40, dataBytes, true)
  let offset = 44
  for (const chunk of pcm) {
    file.set(chunk, offset)
    offset += chunk.length
  }
  return file
}
