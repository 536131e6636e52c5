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
}

export const machine = (): Machine => ({
  cpu: cpus()[0]?.model.trim() ?? "unknown",
  cores: cpus().length,
  ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  date: new Date().toISOString()
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
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node} — ${m.date} — ${mode}`

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
