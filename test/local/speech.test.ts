import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Metric, Result, Stream } from "effect"
import { EspeakEngine, espeakLoads } from "../../src/layers/local/speech/EspeakEngine.ts"
import { resampleLinear, toPcm16LE } from "../../src/layers/local/speech/resample.ts"
import { parseWav } from "../../src/layers/local/speech/wav.ts"
import { SpeechFromEngine } from "../../src/layers/local/SpeechLocal.ts"
import { PCM_FORMAT, Speech } from "../../src/services/Speech.ts"

const sine = (rate: number, seconds: number, hz: number) =>
  Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(10_000 * Math.sin((2 * Math.PI * hz * i) / rate)))

const rms = (samples: ArrayLike<number>) => {
  let sum = 0
  for (let i = 0; i < samples.length; i++) sum += (samples[i] ?? 0) ** 2
  return Math.sqrt(sum / Math.max(1, samples.length))
}

const samplesOf = (pcm: Uint8Array): Int16Array => {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength)
  return Int16Array.from({ length: pcm.byteLength / 2 }, (_, i) => view.getInt16(i * 2, true))
}

/** a minimal WAV with an extra chunk before "data", as real writers sometimes add */
const wavFile = (rate: number, samples: Int16Array, options: { readonly channels?: number; readonly dataSize?: number } = {}) => {
  const data = toPcm16LE(samples)
  const list = new TextEncoder().encode("LIST\u0004\u0000\u0000\u0000INFO")
  const bytes = new Uint8Array(12 + 24 + list.length + 8 + data.length)
  const view = new DataView(bytes.buffer)
  const text = (offset: number, s: string) => Array.from(s).forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)))
  text(0, "RIFF")
  view.setUint32(4, bytes.length - 8, true)
  text(8, "WAVE")
  text(12, "fmt ")
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true)
  view.setUint16(22, options.channels ?? 1, true)
  view.setUint32(24, rate, true)
  view.setUint32(28, rate * 2, true)
  view.setUint16(32, 2, true)
  view.setUint16(34, 16, true)
  bytes.set(list, 36)
  const dataAt = 36 + list.length
  text(dataAt, "data")
  view.setUint32(dataAt + 4, options.dataSize ?? data.length, true)
  bytes.set(data, dataAt + 8)
  return bytes
}

describe("resampler", () => {
  it("turns one second at 22,050 Hz into one second at 24 kHz", () => {
    expect(resampleLinear(new Int16Array(22_050), 22_050, 24_000).length).toBe(24_000)
    expect(resampleLinear(new Int16Array(441), 22_050, 24_000).length).toBe(480)
  })

  it("reproduces a 440 Hz tone at the new rate", () => {
    const out = resampleLinear(sine(22_050, 0.5, 440), 22_050, 24_000)
    const ideal = sine(24_000, 0.5, 440)
    const error = rms(Array.from(out, (sample, i) => sample - (ideal[i] ?? 0)))
    // linear interpolation of a 440 Hz tone at these rates stays within about 0.5 % of full scale
    expect(error / rms(ideal)).toBeLessThan(0.01)
  })

  it("keeps constants and endpoints and copies when the rates match", () => {
    expect(Array.from(resampleLinear(Int16Array.of(1000, 1000, 1000, 1000), 22_050, 24_000)).every((s) => s === 1000)).toBe(true)
    const ramp = Int16Array.from({ length: 100 }, (_, i) => i * 100)
    const out = resampleLinear(ramp, 22_050, 24_000)
    expect(out[0]).toBe(0)
    expect(out[out.length - 1]).toBeLessThanOrEqual(9900)
    expect(resampleLinear(ramp, 24_000, 24_000)).toEqual(ramp)
  })

  it("writes signed 16-bit little-endian bytes", () => {
    expect(Array.from(toPcm16LE(Int16Array.of(1, -2, 0x1234)))).toEqual([1, 0, 0xfe, 0xff, 0x34, 0x12])
  })
})

describe("WAV parser", () => {
  it("reads the sample rate from the header and skips other chunks", () => {
    const parsed = parseWav(wavFile(44_100, Int16Array.of(1, 2, 3)))
    expect(Result.isSuccess(parsed) && parsed.success.sampleRate).toBe(44_100)
    expect(Result.isSuccess(parsed) && Array.from(parsed.success.samples)).toEqual([1, 2, 3])
  })

  it("clamps a placeholder data size to the bytes present", () => {
    const parsed = parseWav(wavFile(22_050, Int16Array.of(5, 6), { dataSize: 0x7ffff000 }))
    expect(Result.isSuccess(parsed) && Array.from(parsed.success.samples)).toEqual([5, 6])
  })

  it("rejects what it cannot play", () => {
    expect(Result.isFailure(parseWav(new TextEncoder().encode("not a wav file at all")))).toBe(true)
    expect(Result.isFailure(parseWav(wavFile(22_050, Int16Array.of(1, 2), { channels: 2 })))).toBe(true)
  })
})

// one engine for the block: building it is what loads the WebAssembly module
layer(Layer.provideMerge(SpeechFromEngine, EspeakEngine.layer), { excludeTestServices: true })("local speech (eSpeak NG)", (it) => {
  const collect = (text: string, voice = "alloy") =>
    Speech.use((speech) => Stream.runCollect(speech.synthesize(text, voice))).pipe(
      Effect.map((chunks) => {
        const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
        chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0)
        return { chunks, bytes }
      })
    )

  it.effect("speaks 24 kHz PCM whose length matches eSpeak's own WAV", () =>
    Effect.gen(function*() {
      const sentence = "Twenty five percent of eighty is twenty."
      const wav = yield* EspeakEngine.use((engine) => engine.synthesizeWav(sentence, "en-us"))
      expect(wav.sampleRate).toBe(22_050)
      const { bytes } = yield* collect(sentence, "en-us")
      const expected = (wav.samples.length * PCM_FORMAT.sampleRate) / wav.sampleRate
      expect(bytes.length % 2).toBe(0)
      expect(Math.abs(bytes.length / 2 - expected)).toBeLessThanOrEqual(1)
      // about two seconds of clearly audible speech
      expect(bytes.length / 2 / PCM_FORMAT.sampleRate).toBeGreaterThan(1)
      expect(rms(samplesOf(bytes))).toBeGreaterThan(500)
    }))

  it.effect("streams sentence by sentence in 100 ms chunks", () =>
    Effect.gen(function*() {
      const { chunks } = yield* collect("Hello there. Let's solve it together. The answer is 20.")
      expect(chunks.length).toBeGreaterThan(10)
      chunks.slice(0, -1).forEach((chunk) => expect(chunk.length).toBeLessThanOrEqual(4_800))
      expect(chunks[0]?.length).toBe(4_800)
    }))

  it.effect("produces identical audio on every run, so no state leaks between sentences", () =>
    Effect.gen(function*() {
      const first = yield* collect("Same sentence again.")
      yield* collect("Something completely different, and a little longer than the first one.")
      const again = yield* collect("Same sentence again.")
      expect(again.bytes).toEqual(first.bytes)
    }))

  it.effect("says nothing for empty text", () =>
    Effect.gen(function*() {
      expect((yield* collect("   ")).chunks).toEqual([])
    }))
})

describe("engine initialisation", () => {
  it.live("loads the WebAssembly module once per layer build, not per sentence", () =>
    Effect.gen(function*() {
      yield* Speech.use((speech) => Stream.runDrain(speech.synthesize("One. Two. Three.", "alloy")))
      yield* Speech.use((speech) => Stream.runDrain(speech.synthesize("Four.", "alloy")))
      expect((yield* Metric.value(espeakLoads)).count).toBe(1)
    }).pipe(
      Effect.provide(Layer.provide(SpeechFromEngine, EspeakEngine.layer)),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))
})
