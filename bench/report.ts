import { cpus, totalmem } from "node:os"
import { WORKER_NICENESS } from "../src/layers/pipeline/workerPool.ts"
import type { PriorityOutcome } from "./priority.ts"

export type Verdict = "pass" | "MISS" | "info"

export interface Row {
  readonly section: string
  readonly metric: string
  readonly target: string
  readonly measured: string
  readonly verdict: Verdict
}

export const check = (passed: boolean): Verdict => (passed ? "pass" : "MISS")

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly ramGiB: number
  readonly node: string
  readonly date: string
  /** see `cpuCheckMs` */
  readonly cpuCheckMs: number
}

/** A job record like the server's, for the CPU check. */
const CHECK_RECORD = {
  id: "job-0000",
  status: "processing",
  sentences: Array.from({ length: 10 }, (_, i) => `Sentence ${i} of an answer, about sixty characters long here.`),
  latency: { classifyMs: 150.5, firstTokenMs: 300.25, firstAudioMs: 458.125 }
}

/**
 * Milliseconds a fixed piece of server-like work (20,000 JSON round trips of a job record) takes,
 * best of five: the same VM type runs at different speeds from day to day (other tenants on the
 * host), so two runs' tables are comparable only with this beside them.
 */
const cpuCheckMs = (): number => {
  const once = () => {
    const started = performance.now()
    // the summed sizes keep the result in use, so the compiler cannot drop the work
    let size = 0
    for (let i = 0; i < 20_000; i++) size += JSON.stringify(JSON.parse(JSON.stringify(CHECK_RECORD))).length
    return size > 0 ? performance.now() - started : Number.NaN
  }
  return Math.min(...Array.from({ length: 5 }, once))
}

export const machine = (): Machine => ({
  cpu: cpus()[0]?.model.trim() ?? "unknown",
  cores: cpus().length,
  ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  date: new Date().toISOString(),
  cpuCheckMs: Math.round(cpuCheckMs() * 10) / 10
})

const COLUMNS = ["section", "metric", "target", "measured", "verdict"] as const

/** A Markdown table, readable as plain text too. */
export const renderTable = (rows: ReadonlyArray<Row>): string => {
  const widths = COLUMNS.map((column) => Math.max(column.length, ...rows.map((row) => row[column].length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`
  return [
    line(COLUMNS),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map((row) => line(COLUMNS.map((column) => row[column])))
  ].join("\n")
}

export const renderMachine = (m: Machine, mode: string) =>
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, CPU check ${m.cpuCheckMs} ms — ${m.date} — ${mode}`

/** How the bench's own processes share the CPU with the server (see `priority.ts`). */
export const renderHelpers = (
  helpers: { readonly providerStub: PriorityOutcome; readonly loadGenerator: PriorityOutcome },
  turnWorkers: number
) => {
  const describe = (name: string, outcome: PriorityOutcome) =>
    `${name} ${outcome.applied}${outcome.warning === undefined ? "" : ` (${outcome.warning})`}`
  return `Processes: server (this process), ${turnWorkers} turn worker(s) at niceness ${WORKER_NICENESS}, ${
    describe("provider stub", helpers.providerStub)
  }, ${describe("load generator", helpers.loadGenerator)}`
}
