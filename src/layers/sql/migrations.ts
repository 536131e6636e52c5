import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"

/**
 * The reference's migrations 001–003 with the fixes of its §12.1, then ours. Every statement is
 * idempotent (IF NOT EXISTS / duplicate_object guarded) so a half-applied run, or a database
 * created by hand from the same files, can be migrated again without errors; the migrator itself
 * records what ran in `effect_sql_migrations`, so a restart re-runs nothing.
 *
 * Differences from the reference, and why:
 * - `gen_random_uuid()` (core since PostgreSQL 13) instead of the `uuid-ossp` extension, which
 *   PGlite only ships as a separately loaded contrib module;
 * - `learning_sessions.session_id TEXT NOT NULL UNIQUE`: every writer keys sessions by it;
 * - the unused `speaker_type` enum is gone; speakers are `student | tutor | teacher` (CHECK);
 * - `transcript_turns (session_id, turn_index)` is UNIQUE, so indexes can only increase;
 * - routing decisions record the classifier fallback; guardrail events record the action,
 *   the sentence and the per-category scores (`original_text` may be NULL: a recorder that only
 *   knows the verdict must not invent the sentence); escalations record the trigger and when a
 *   teacher acknowledged them;
 * - `orchestrator_jobs` is used: it gets the confidence, released sentences, the owning instance
 *   and a version counter, and `expires_at` stays NULL until a job finishes, so unfinished jobs are
 *   never swept (the reference defaulted it to now() + 1 hour for every row).
 */
const initialSchema = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DO $$ BEGIN
    CREATE TYPE session_version AS ENUM ('a', 'b');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$`
  yield* sql`CREATE TABLE IF NOT EXISTS learning_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id TEXT NOT NULL UNIQUE,
    version session_version NOT NULL,
    student_id TEXT,
    room_name TEXT,
    session_token TEXT,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at TIMESTAMPTZ,
    metadata JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS learning_sessions_version_idx ON learning_sessions (version)`
  yield* sql`CREATE INDEX IF NOT EXISTS learning_sessions_started_at_idx ON learning_sessions (started_at DESC)`

  yield* sql`CREATE TABLE IF NOT EXISTS transcript_turns (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id TEXT NOT NULL,
    speaker TEXT NOT NULL CHECK (speaker IN ('student', 'tutor', 'teacher')),
    text TEXT NOT NULL,
    subject TEXT,
    turn_index INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (session_id, turn_index)
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS transcript_turns_created_at_idx ON transcript_turns (created_at DESC)`

  yield* sql`CREATE TABLE IF NOT EXISTS routing_decisions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- write order, to break ties between rows of the same millisecond
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    session_id TEXT NOT NULL,
    from_agent TEXT NOT NULL,
    to_agent TEXT NOT NULL,
    confidence DOUBLE PRECISION,
    transcript_excerpt TEXT,
    latency_ms INTEGER,
    fallback BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS routing_decisions_session_idx ON routing_decisions (session_id, created_at)`

  yield* sql`CREATE TABLE IF NOT EXISTS escalation_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- write order, to break ties between rows of the same millisecond
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    session_id TEXT NOT NULL,
    version session_version NOT NULL,
    trigger TEXT NOT NULL,
    reason TEXT NOT NULL,
    teacher_token TEXT,
    teacher_ws_url TEXT,
    acknowledged_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS escalation_events_session_idx ON escalation_events (session_id, created_at)`
  // late teachers ask for the unacknowledged ones
  yield* sql`CREATE INDEX IF NOT EXISTS escalation_events_pending_idx
    ON escalation_events (session_id, created_at) WHERE acknowledged_at IS NULL`

  yield* sql`CREATE TABLE IF NOT EXISTS guardrail_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- write order, to break ties between rows of the same millisecond
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    session_id TEXT NOT NULL,
    sentence_index INTEGER,
    action TEXT NOT NULL,
    original_text TEXT,
    rewritten_text TEXT,
    categories_flagged TEXT[] NOT NULL DEFAULT '{}',
    category_scores JSONB NOT NULL DEFAULT '{}',
    flagged BOOLEAN NOT NULL DEFAULT false,
    confidence DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS guardrail_events_session_idx ON guardrail_events (session_id, created_at)`
  yield* sql`CREATE INDEX IF NOT EXISTS guardrail_events_flagged_idx ON guardrail_events (flagged) WHERE flagged = true`
})

const orchestratorJobs = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DO $$ BEGIN
    CREATE TYPE job_status AS ENUM ('pending', 'processing', 'complete', 'error');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$`
  yield* sql`CREATE TABLE IF NOT EXISTS orchestrator_jobs (
    id UUID PRIMARY KEY,
    session_id TEXT NOT NULL,
    status job_status NOT NULL DEFAULT 'pending',
    student_text TEXT NOT NULL,
    subject TEXT,
    confidence DOUBLE PRECISION,
    raw_text TEXT,
    sentences JSONB NOT NULL DEFAULT '[]',
    safe_text TEXT,
    tts_ready BOOLEAN NOT NULL DEFAULT false,
    error_message TEXT,
    dispatched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    classified_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    owner TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS orchestrator_jobs_session_idx ON orchestrator_jobs (session_id)`
  // start-up recovery looks for the unfinished jobs of one instance
  yield* sql`CREATE INDEX IF NOT EXISTS orchestrator_jobs_unfinished_idx
    ON orchestrator_jobs (owner) WHERE status IN ('pending', 'processing')`
  yield* sql`CREATE INDEX IF NOT EXISTS orchestrator_jobs_expires_idx ON orchestrator_jobs (expires_at)`
  yield* sql`COMMENT ON TABLE orchestrator_jobs IS
    'Version B orchestration jobs: pending -> processing -> complete | error. Jobs found unfinished when their instance starts are marked error; finished jobs are deleted after expires_at.'`
})

const sessionReport = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE learning_sessions ADD COLUMN IF NOT EXISTS session_report JSONB`
  yield* sql`COMMENT ON COLUMN learning_sessions.session_report IS
    'Written at close: {turns, subjects[], escalated, guardrail_flags, routing_decisions[{to, confidence, fallback, excerpt}], latency_ms{classify, first_token, first_sentence, total}, closed_at}'`
})

/** Per-stage latencies of each answered turn, for the session report's latency summary. */
const turnLatencies = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS turn_latencies (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id TEXT NOT NULL,
    classify_ms DOUBLE PRECISION NOT NULL,
    first_token_ms DOUBLE PRECISION,
    first_sentence_ms DOUBLE PRECISION,
    first_audio_ms DOUBLE PRECISION,
    total_ms DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS turn_latencies_session_idx ON turn_latencies (session_id)`
})

/** What the guardrail did to a job's sentences, for the job's `guardrail` events after a restart too. */
const jobInterventions = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orchestrator_jobs ADD COLUMN IF NOT EXISTS interventions JSONB NOT NULL DEFAULT '[]'`
})

/**
 * Tokens and estimated cost of each answered turn: on its job, and beside its latencies for the
 * session report. A NULL turn cost means unknown (unpriced model, or recorded before this). Reports
 * closed before this get a usage of unknown cost, so they still read back as a `SessionReport`.
 */
const turnUsage = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orchestrator_jobs ADD COLUMN IF NOT EXISTS turn_latency JSONB`
  yield* sql`ALTER TABLE orchestrator_jobs ADD COLUMN IF NOT EXISTS token_usage JSONB`
  yield* sql`ALTER TABLE turn_latencies ADD COLUMN IF NOT EXISTS input_tokens INTEGER NOT NULL DEFAULT 0`
  yield* sql`ALTER TABLE turn_latencies ADD COLUMN IF NOT EXISTS output_tokens INTEGER NOT NULL DEFAULT 0`
  yield* sql`ALTER TABLE turn_latencies ADD COLUMN IF NOT EXISTS estimated_cost_usd DOUBLE PRECISION`
  yield* sql`UPDATE learning_sessions
    SET session_report = session_report
      || jsonb_build_object('usage', jsonb_build_object('input_tokens', 0, 'output_tokens', 0, 'estimated_cost_usd', NULL))
    WHERE session_report IS NOT NULL AND session_report -> 'usage' IS NULL`
  yield* sql`COMMENT ON COLUMN learning_sessions.session_report IS
    'Written at close: {turns, subjects[], escalated, guardrail_flags, routing_decisions[{to, confidence, fallback, excerpt}], latency_ms{classify, first_token, first_sentence, total}, usage{input_tokens, output_tokens, estimated_cost_usd}, closed_at}'`
})

/**
 * Why each escalation was raised (the safety taxonomy, src/domain/safety.ts): on the escalation
 * and on the job that raised it. Rows from before have NULL category and severity.
 */
const safetyFindings = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS category TEXT`
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS severity TEXT`
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS evidence JSONB NOT NULL DEFAULT '[]'`
  yield* sql`ALTER TABLE orchestrator_jobs ADD COLUMN IF NOT EXISTS safety_finding JSONB`
  yield* sql`UPDATE learning_sessions SET session_report = session_report || '{"escalations": []}'::jsonb
    WHERE session_report IS NOT NULL AND session_report -> 'escalations' IS NULL`
})

/**
 * Teacher accounts (secrets only as SHA-256 hashes), their sign-in links and browser sessions,
 * the audit trail of what teachers did with a child's session (kept when an account goes), and
 * who claimed and resolved each escalation.
 */
const teacherAccounts = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS teachers (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('teacher', 'admin')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS teacher_sign_in_links (
    token_hash TEXT PRIMARY KEY,
    teacher_id UUID NOT NULL REFERENCES teachers (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS teacher_sessions (
    token_hash TEXT PRIMARY KEY,
    teacher_id UUID NOT NULL REFERENCES teachers (id) ON DELETE CASCADE,
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS teacher_audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    teacher_id UUID NOT NULL,
    session_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('claim', 'read', 'inject', 'hint', 'resolve')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS teacher_audit_session_idx ON teacher_audit (session_id, seq)`
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS claimed_by UUID`
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS claimed_at TIMESTAMPTZ`
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMPTZ`
  yield* sql`ALTER TABLE escalation_events ADD COLUMN IF NOT EXISTS resolution_note TEXT`
})

/** Migration bodies by id, exported so tests can prove each one can run twice. */
export const migrationSteps = {
  "0001_initial_schema": initialSchema,
  "0002_orchestrator_jobs": orchestratorJobs,
  "0003_session_report": sessionReport,
  "0004_turn_latencies": turnLatencies,
  "0005_job_interventions": jobInterventions,
  "0006_turn_usage": turnUsage,
  "0007_safety_findings": safetyFindings,
  "0008_teacher_accounts": teacherAccounts
} as const

export const migrations = Migrator.fromRecord(migrationSteps)
