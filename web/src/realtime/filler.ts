/** When the Realtime voice covers the wait for the backend's answer (SPEC §1), from the tool call. */
export const FILLER_THRESHOLDS_MS = [500, 1500, 3000] as const

const FILLER_LINES = ["Let me think about that...", "Still working on it, one moment.", "Almost there."] as const

/** The instruction for the filler at `level` (0, 1, 2): a fixed line, so the voice never answers. */
export const fillerInstructions = (level: number): string =>
  `Say only this short filler, in a warm tone, and nothing else: "${FILLER_LINES[level] ?? FILLER_LINES[2]}"`

/**
 * Counts thresholds passed while a backend answer is awaited: one filler per threshold, none once
 * the answer has arrived. The counter, not the voice's words, decides (reference §3.3).
 */
export class FillerSchedule {
  private timers: Array<ReturnType<typeof setTimeout>> = []
  private passed = 0

  get level(): number {
    return this.passed
  }

  start(onThreshold: (level: number) => void): void {
    this.stop()
    this.passed = 0
    this.timers = FILLER_THRESHOLDS_MS.map((ms, level) =>
      setTimeout(() => {
        this.passed = level + 1
        onThreshold(level)
      }, ms)
    )
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers = []
  }
}
