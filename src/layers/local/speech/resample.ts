/**
 * Sample-rate conversion by linear interpolation: output sample i sits at input position
 * i × from / to, between two input samples. Going up from eSpeak's 22,050 Hz to 24 kHz adds no
 * frequencies the input did not have, so no anti-aliasing filter is needed.
 */
export const resampleLinear = (input: Int16Array, from: number, to: number): Int16Array => {
  if (from === to) return input.slice()
  const length = Math.round((input.length * to) / from)
  const output = new Int16Array(length)
  const step = from / to
  for (let i = 0; i < length; i++) {
    const position = i * step
    const index = Math.floor(position)
    const a = input[index] ?? input[input.length - 1] ?? 0
    // past the last input sample, hold it rather than fade to zero
    const b = input[index + 1] ?? a
    output[i] = Math.round(a + (b - a) * (position - index))
  }
  return output
}

/** signed 16-bit little-endian bytes, whatever the machine's own byte order */
export const toPcm16LE = (samples: Int16Array): Uint8Array => {
  const bytes = new Uint8Array(samples.length * 2)
  const view = new DataView(bytes.buffer)
  samples.forEach((sample, i) => view.setInt16(i * 2, sample, true))
  return bytes
}
