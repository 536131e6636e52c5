/** The backend speaks raw PCM16 LE mono at this rate (`POST /tts/stream`, X-Audio-* headers). */
export const PCM_SAMPLE_RATE = 24_000
/** The crossfade between the Realtime voice and the backend answer. */
const RAMP_SECONDS = 0.05
/** Head room before the first chunk so its start is not clipped by scheduling jitter. */
const LEAD_SECONDS = 0.03

export interface AudioOutListener {
  /** the running total of PCM bytes handed to Web Audio (shown on the page, read by the tests) */
  readonly onScheduled: (totalBytes: number) => void
  /** the Realtime voice starts fading out (true) or back in (false) */
  readonly onVoiceMuted: (muted: boolean) => void
}

export interface PlaybackOptions {
  readonly signal: AbortSignal
  /** the first samples are scheduled: the answer is audible from now on */
  readonly onFirstAudio: () => void
}

/** Int16 little-endian samples to Web Audio floats; `bytes` has an even length. */
const pcm16ToFloat32 = (bytes: Uint8Array): Float32Array<ArrayBuffer> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const samples = new Float32Array(bytes.byteLength / 2)
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 32768
  return samples
}

const concat = (head: Uint8Array, tail: Uint8Array): Uint8Array => {
  const out = new Uint8Array(head.byteLength + tail.byteLength)
  out.set(head)
  out.set(tail, head.byteLength)
  return out
}

const rampTo = (param: AudioParam, value: number, now: number): void => {
  param.cancelScheduledValues(now)
  param.setValueAtTime(param.value, now)
  param.linearRampToValueAtTime(value, now + RAMP_SECONDS)
}

/**
 * The page's one audio output. Backend answers are scheduled chunk by chunk as they stream in;
 * the Realtime voice goes through its own gain, faded out while a backend answer plays. Each
 * source has exactly one path to the destination, so a fade really silences it.
 */
export class AudioOut {
  private context: AudioContext | null = null
  private realtimeGain: GainNode | null = null
  private realtimeElement: HTMLAudioElement | null = null
  private playing = 0
  private scheduledBytes = 0

  private readonly listener: AudioOutListener

  constructor(listener: AudioOutListener) {
    this.listener = listener
  }

  /** Creates or resumes the context; call it from a click so autoplay policies allow sound. */
  unlock(): AudioContext {
    this.context ??= new AudioContext({ sampleRate: PCM_SAMPLE_RATE })
    if (this.context.state === "suspended") void this.context.resume()
    return this.context
  }

  attachRealtime(stream: MediaStream): void {
    const context = this.unlock()
    // Chromium only feeds a remote WebRTC stream into Web Audio while a media element consumes it;
    // the element stays muted so the gain below is the single audible path.
    this.realtimeElement ??= new Audio()
    this.realtimeElement.muted = true
    this.realtimeElement.srcObject = stream
    void this.realtimeElement.play().catch(() => undefined)
    this.realtimeGain?.disconnect()
    const gain = context.createGain()
    gain.gain.value = this.playing > 0 ? 0 : 1
    context.createMediaStreamSource(stream).connect(gain).connect(context.destination)
    this.realtimeGain = gain
  }

  /** Plays a PCM16 stream as it arrives; resolves when the last sample has played or on abort. */
  async playPcm(body: ReadableStream<Uint8Array>, { signal, onFirstAudio }: PlaybackOptions): Promise<void> {
    const context = this.unlock()
    const gain = context.createGain()
    gain.connect(context.destination)
    gain.gain.setValueAtTime(0, context.currentTime)
    gain.gain.linearRampToValueAtTime(1, context.currentTime + RAMP_SECONDS)
    this.setPlaying(+1)

    const reader = body.getReader()
    const sources: Array<AudioBufferSourceNode> = []
    let nextStart = 0
    let carry = new Uint8Array(0)
    const stop = () => {
      const now = context.currentTime
      rampTo(gain.gain, 0, now)
      for (const source of sources) source.stop(now + RAMP_SECONDS)
      void reader.cancel().catch(() => undefined)
    }
    signal.addEventListener("abort", stop, { once: true })
    try {
      while (!signal.aborted) {
        const { done, value } = await reader.read()
        if (done) break
        // a chunk may end in the middle of a sample: keep its odd byte for the next one
        const bytes = carry.byteLength > 0 ? concat(carry, value) : value
        const even = bytes.byteLength - (bytes.byteLength % 2)
        carry = bytes.slice(even)
        if (even === 0) continue
        const samples = pcm16ToFloat32(bytes.subarray(0, even))
        const buffer = context.createBuffer(1, samples.length, PCM_SAMPLE_RATE)
        buffer.copyToChannel(samples, 0)
        const source = context.createBufferSource()
        source.buffer = buffer
        source.connect(gain)
        const start = Math.max(nextStart, context.currentTime + LEAD_SECONDS)
        source.start(start)
        nextStart = start + buffer.duration
        sources.push(source)
        if (sources.length === 1) onFirstAudio()
        this.scheduledBytes += even
        this.listener.onScheduled(this.scheduledBytes)
      }
      const last = sources.at(-1)
      if (last && !signal.aborted) await this.ended(last, signal)
    } finally {
      signal.removeEventListener("abort", stop)
      this.setPlaying(-1)
      setTimeout(() => gain.disconnect(), RAMP_SECONDS * 1000 * 2)
    }
  }

  private ended(source: AudioBufferSourceNode, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      source.addEventListener("ended", () => resolve(), { once: true })
      signal.addEventListener("abort", () => resolve(), { once: true })
    })
  }

  /** Fades the Realtime voice out while any backend answer plays, back in after the last one. */
  private setPlaying(delta: 1 | -1): void {
    this.playing += delta
    const gain = this.realtimeGain
    if (gain && this.context && (this.playing === 0 || (delta === 1 && this.playing === 1))) {
      rampTo(gain.gain, this.playing > 0 ? 0 : 1, this.context.currentTime)
      this.listener.onVoiceMuted(this.playing > 0)
    }
  }
}
